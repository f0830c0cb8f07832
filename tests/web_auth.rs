//! Login, logout and guarded handlers over real HTTP requests through an axum
//! router: the session id changes at login, the old cookie is anonymous after
//! logout, a password change ends the user's other sessions, the guards answer
//! 401 / 403 / redirects with JSON bodies, `next` cannot become an open redirect,
//! and a bad login gives the same answer for an unknown user and a wrong password.
//! Sessions in memory and in the database on every configured backend.

use aksara::ApiError;
use aksara_auth::authentication::{Authentication, Authenticator, Outcome};
use aksara_auth::csrf::csrf_token;
use aksara_auth::prelude::*;
use aksara_auth::session::{DbSessionStore, SessionStore};
use aksara_auth::{User, UserCache};
use aksara_tests::{Call, CapturedLogs, PASSWORD, Reply, create_user, databases};
use axum::body::Body;
use axum::routing::{get, post};
use http::{Request, StatusCode, header};
use serde::Deserialize;

const SECRET: &[u8] = b"web auth test secret, at least thirty-two bytes long";

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

async fn login_view(
    db: Db,
    session: Session,
    Json(credentials): Json<Credentials>,
) -> Result<StatusCode, ApiError> {
    let found = authenticate::<User>(&db, &credentials.email, &credentials.password).await?;
    let Some(mut user) = found else {
        return Err(
            ApiError::unauthorized("email or password is wrong").with_code("invalid_credentials")
        );
    };
    login(&session, &db, &mut user).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn logout_view(session: Session) -> StatusCode {
    logout(&session).await;
    StatusCode::NO_CONTENT
}

#[login_required]
async fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

#[staff_required]
async fn staff_area(user: CurrentUser<User>) -> String {
    format!("staff {}", user.email)
}

#[superuser_required]
async fn root_area() -> &'static str {
    "root"
}

#[login_required(redirect = "/login")]
async fn dashboard(user: RequestUser<User>) -> String {
    format!(
        "dashboard of {}",
        user.user().map_or("?", |u| u.email.as_str())
    )
}

async fn whoami(MaybeUser(user): MaybeUser<User>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |user| user.email.clone())
}

async fn remember(session: Session) -> StatusCode {
    session.insert("theme", "dark").await.unwrap();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct NewPassword {
    password: String,
}

#[login_required]
async fn change_password(
    db: Db,
    session: Session,
    user: CurrentUser<User>,
    Json(body): Json<NewPassword>,
) -> Result<StatusCode, ApiError> {
    let mut user = user.user().clone();
    validate_password(&body.password, Some(&user))?;
    user.set_password(&body.password).await?;
    user.save(&db).await?;
    update_session_auth_hash(&session, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Page {
    page: u32,
}

/// A path and a query parameter, for their rejections.
async fn item(Path(id): Path<i64>, Query(page): Query<Page>) -> String {
    format!("item {id}, page {}", page.page)
}

async fn token_view(session: Session) -> String {
    csrf_token(&session).await.unwrap()
}

/// Authenticates `X-Test-User: <email>`, a header credential (exempt from CSRF).
struct HeaderAuthentication;

impl Authenticator<User> for HeaderAuthentication {
    fn name(&self) -> &'static str {
        "test-header"
    }

    fn challenge(&self) -> Option<&'static str> {
        Some("TestHeader realm=\"tests\"")
    }

    async fn authenticate(&self, parts: &http::request::Parts, db: &Db) -> Outcome<User> {
        let Some(email) = parts
            .headers
            .get("x-test-user")
            .and_then(|v| v.to_str().ok())
        else {
            return Outcome::NoCredential;
        };
        match User::objects()
            .filter(User::EMAIL.eq(email))
            .first(db)
            .await
        {
            Ok(Some(user)) => {
                Outcome::Authenticated(Authentication::new(user, self.name()).by_header())
            }
            Ok(None) => Outcome::invalid("unknown test user"),
            Err(error) => Outcome::from(error),
        }
    }
}

fn app(db: Db, store: impl SessionStore) -> axum::Router {
    Aksara::new(db)
        .middleware(SessionLayer::new(store).secret_key(SECRET).secure(false))
        .middleware(
            AuthenticationLayer::<User>::new()
                .with(SessionAuthentication::new())
                .with(HeaderAuthentication)
                .trusted_origins(["https://trusted.example/"]),
        )
        .route("/csrf-token", get(token_view))
        .route("/login", post(login_view))
        .route("/logout", post(logout_view))
        .route("/profile", get(profile))
        .route("/staff", get(staff_area))
        .route("/root", get(root_area))
        .route("/dashboard", get(dashboard))
        .route("/whoami", get(whoami))
        .route("/remember", post(remember))
        .route("/password", post(change_password))
        .route("/items/{id}", get(item))
        .into_router()
}

/// Sessions in memory, signed with the test secret, over plain HTTP.
fn memory_sessions() -> SessionLayer {
    SessionLayer::new(MemoryStore::new())
        .secret_key(SECRET)
        .secure(false)
}

/// One client: the app and the cookie it holds.
struct Client {
    app: axum::Router,
    cookie: Option<String>,
    /// Extra headers on every request; a browser's same-origin fetch by default.
    headers: Vec<(&'static str, String)>,
}

impl Client {
    fn new(app: &axum::Router) -> Self {
        Self {
            app: app.clone(),
            cookie: None,
            headers: vec![("sec-fetch-site", "same-origin".to_owned())],
        }
    }

    async fn send(&mut self, method: &str, path: &str, json: Option<serde_json::Value>) -> Reply {
        let mut call = Call::new(method, path);
        if let Some(cookie) = &self.cookie {
            call = call.header(header::COOKIE, cookie);
        }
        for (name, value) in &self.headers {
            call = call.header(http::HeaderName::from_static(name), value);
        }
        if let Some(json) = json {
            call = call.json(&json);
        }
        let reply = call.send(&self.app).await;
        if let Some(set) = reply.headers.get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            let expired = set.to_str().unwrap().contains("Max-Age=0");
            self.cookie = (!expired).then_some(pair);
        }
        reply
    }

    async fn login(&mut self, email: &str, password: &str) -> Reply {
        self.send(
            "POST",
            "/login",
            Some(serde_json::json!({"email": email, "password": password})),
        )
        .await
    }
}

/// Every test runs on memory sessions and on the database store of each backend.
async fn each_setup(test: impl AsyncFn(&str, Db, axum::Router)) {
    for test_db in databases().await {
        test_db.db.migrate().await.unwrap();
        let memory = app(test_db.db.clone(), MemoryStore::new());
        test(
            &format!("{} + memory sessions", test_db.label),
            test_db.db.clone(),
            memory,
        )
        .await;
        // A fresh user table per run: the database store run gets its own emails.
        User::objects().delete(&test_db.db).await.unwrap();
        let stored = app(test_db.db.clone(), DbSessionStore::new(test_db.db.clone()));
        test(
            &format!("{} + db sessions", test_db.label),
            test_db.db.clone(),
            stored,
        )
        .await;
    }
}

#[tokio::test]
async fn anonymous_requests_get_401_json_with_a_challenge() {
    each_setup(async |label, _db, app| {
        let mut client = Client::new(&app);
        let reply = client.send("GET", "/profile", None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
        assert!(
            reply.headers.contains_key(header::WWW_AUTHENTICATE),
            "{label}"
        );
        assert_eq!(
            reply.json()["error"]["code"],
            "not_authenticated",
            "{label}"
        );
        assert_eq!(
            client.send("GET", "/whoami", None).await.body,
            "anonymous",
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    each_setup(async |label, db, app| {
        create_user(&db, "jane@example.com").await;
        let mut client = Client::new(&app);
        let wrong = client.login("jane@example.com", "not the password").await;
        let unknown = client.login("nobody@example.com", PASSWORD).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(
            (wrong.status, wrong.body.clone()),
            (unknown.status, unknown.body),
            "{label}"
        );
        assert!(
            client.cookie.is_none(),
            "{label}: a failed login starts no session"
        );
    })
    .await;
}

#[tokio::test]
async fn login_cycles_the_session_id_and_logout_ends_the_session() {
    each_setup(async |label, db, app| {
        let jane = create_user(&db, "jane@example.com").await;
        let mut client = Client::new(&app);
        assert_eq!(
            client.send("POST", "/remember", None).await.status,
            StatusCode::NO_CONTENT
        );
        let anonymous_cookie = client.cookie.clone().expect("an anonymous session");

        let reply = client.login(" Jane@EXAMPLE.com", PASSWORD).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "{label}: {}",
            reply.body
        );
        let logged_in_cookie = client.cookie.clone().expect("a session cookie after login");
        assert_ne!(
            anonymous_cookie, logged_in_cookie,
            "{label}: the session id must change at login"
        );
        let profile = client.send("GET", "/profile", None).await;
        assert_eq!(
            (profile.status, profile.body.as_str()),
            (StatusCode::OK, "jane@example.com"),
            "{label}"
        );

        // The pre-login cookie does not carry the login.
        let mut fixated = Client::new(&app);
        fixated.cookie = Some(anonymous_cookie);
        assert_eq!(
            fixated.send("GET", "/profile", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );

        let stored = User::objects()
            .get(&db, User::ID.eq(jane.id))
            .await
            .unwrap();
        assert!(
            stored.last_login.is_some(),
            "{label}: login records last_login"
        );

        let reply = client.send("POST", "/logout", None).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{label}");
        let set_cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(
            set_cookie.contains("Max-Age=0"),
            "{label}: logout expires the cookie: {set_cookie}"
        );
        let mut replay = Client::new(&app);
        replay.cookie = Some(logged_in_cookie);
        assert_eq!(
            replay.send("GET", "/profile", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        assert_eq!(
            replay.send("GET", "/whoami", None).await.body,
            "anonymous",
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_only() {
    each_setup(async |label, db, app| {
        create_user(&db, "jane@example.com").await;
        let mut laptop = Client::new(&app);
        let mut phone = Client::new(&app);
        assert_eq!(
            laptop.login("jane@example.com", PASSWORD).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            phone.login("jane@example.com", PASSWORD).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            phone.send("GET", "/profile", None).await.status,
            StatusCode::OK,
            "{label}"
        );

        let reply = laptop
            .send(
                "POST",
                "/password",
                Some(serde_json::json!({"password": "a brand new passphrase"})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "{label}: {}",
            reply.body
        );
        let r = laptop.send("GET", "/profile", None).await;
        assert_eq!(r.status, StatusCode::OK, "{label}: this session stays");
        assert_eq!(
            phone.send("GET", "/profile", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}: other sessions end"
        );
        assert_eq!(
            phone
                .login("jane@example.com", "a brand new passphrase")
                .await
                .status,
            StatusCode::NO_CONTENT
        );
    })
    .await;
}

#[tokio::test]
async fn staff_and_superuser_guards_answer_403_to_users_without_the_flag() {
    each_setup(async |label, db, app| {
        create_user(&db, "user@example.com").await;
        let mut staff = create_user(&db, "staff@example.com").await;
        staff.is_staff = true;
        staff.save(&db).await.unwrap();
        let mut root = create_user(&db, "root@example.com").await;
        root.is_staff = true;
        root.is_superuser = true;
        root.save(&db).await.unwrap();

        let mut anonymous = Client::new(&app);
        assert_eq!(
            anonymous.send("GET", "/staff", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        assert_eq!(
            anonymous.send("GET", "/root", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );

        for (email, staff_status, root_status) in [
            (
                "user@example.com",
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
            ),
            ("staff@example.com", StatusCode::OK, StatusCode::FORBIDDEN),
            ("root@example.com", StatusCode::OK, StatusCode::OK),
        ] {
            let mut client = Client::new(&app);
            assert_eq!(
                client.login(email, PASSWORD).await.status,
                StatusCode::NO_CONTENT
            );
            let reply = client.send("GET", "/staff", None).await;
            assert_eq!(reply.status, staff_status, "{label}: {email} on /staff");
            if reply.status == StatusCode::FORBIDDEN {
                assert_eq!(
                    reply.json()["error"]["code"],
                    "permission_denied",
                    "{label}"
                );
            }
            assert_eq!(
                client.send("GET", "/root", None).await.status,
                root_status,
                "{label}: {email} on /root"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn redirect_guards_send_anonymous_visitors_to_login_with_a_safe_next() {
    each_setup(async |label, db, app| {
        let mut client = Client::new(&app);
        let reply = client.send("GET", "/dashboard?tab=2", None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{label}");
        assert_eq!(
            reply.headers[header::LOCATION],
            "/login?next=%2Fdashboard%3Ftab%3D2",
            "{label}"
        );

        create_user(&db, "jane@example.com").await;
        assert_eq!(
            client.login("jane@example.com", PASSWORD).await.status,
            StatusCode::NO_CONTENT
        );
        let reply = client.send("GET", "/dashboard", None).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "dashboard of jane@example.com"),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_redirect_guard_on_an_associated_function_redirects_to_its_exact_path() {
    struct Accounts;
    impl Accounts {
        // Characters that need escaping in a char literal, and a query.
        #[login_required(redirect = "/sign-in/'x'\\y?from=accounts")]
        async fn settings(user: CurrentUser<User>) -> String {
            user.email.clone()
        }
    }
    for test_db in databases().await {
        let app = Aksara::new(test_db.db.clone())
            .middleware(memory_sessions())
            .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
            .route("/settings", get(Accounts::settings))
            .into_router();
        let reply = Client::new(&app).send("GET", "/settings", None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", test_db.label);
        assert_eq!(
            reply.headers[header::LOCATION],
            "/sign-in/'x'\\y?from=accounts&next=%2Fsettings",
            "{}",
            test_db.label
        );
    }
}

#[tokio::test]
async fn a_scheme_relative_request_path_never_becomes_next() {
    // axum routes `//evil.example/dashboard` nowhere, so guard a fallback to see
    // what `next` the guard would build for such a path.
    #[login_required(redirect = "/login")]
    async fn anything() -> &'static str {
        "unreachable"
    }
    for test_db in databases().await {
        let app = Aksara::new(test_db.db.clone())
            .middleware(memory_sessions())
            .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
            .fallback(anything)
            .into_router();
        for path in ["//evil.example/x", "/\\evil.example"] {
            let reply = Client::new(&app).send("GET", path, None).await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", test_db.label);
            assert_eq!(reply.headers[header::LOCATION], "/login?next=%2F", "{path}");
        }
    }
}

#[tokio::test]
async fn handlers_without_the_layer_get_a_500_that_names_it() {
    let app = axum::Router::new().route("/profile", get(profile));
    let reply = Call::get("/profile").send(&app).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn the_layer_works_on_a_plain_axum_router() {
    for test_db in databases().await {
        test_db.db.migrate().await.unwrap();
        create_user(&test_db.db, "jane@example.com").await;
        // On a plain Router the last `.layer` runs first: database, then sessions,
        // then authentication.
        let app = axum::Router::new()
            .route("/login", post(login_view))
            .route("/profile", get(profile))
            .layer(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
            .layer(memory_sessions())
            .layer(axum::Extension(test_db.db.clone()));
        let mut client = Client::new(&app);
        assert_eq!(
            client.send("GET", "/profile", None).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            client.login("jane@example.com", PASSWORD).await.status,
            StatusCode::NO_CONTENT
        );
        let reply = client.send("GET", "/profile", None).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "jane@example.com"),
            "{}",
            test_db.label
        );
    }
}

#[tokio::test]
async fn an_edit_through_the_orm_is_seen_by_the_next_request() {
    each_setup(async |label, db, app| {
        let mut jane = create_user(&db, "jane@example.com").await;
        let mut client = Client::new(&app);
        assert_eq!(
            client.login("jane@example.com", PASSWORD).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            client.send("GET", "/profile", None).await.body,
            "jane@example.com"
        );
        // Saving the user drops it from the user cache: no second of staleness.
        jane.email = "jane.doe@example.com".into();
        jane.save(&db).await.unwrap();
        let reply = client.send("GET", "/profile", None).await;
        assert_eq!(reply.body, "jane.doe@example.com", "{label}");
        // Deactivated: 401 at once; as in Django the session is kept, so
        // reactivation lets it in again, at once too.
        jane.is_active = false;
        jane.save(&db).await.unwrap();
        assert_eq!(
            client.send("GET", "/profile", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        User::objects()
            .filter(User::ID.eq(jane.id))
            .update(&db, User::IS_ACTIVE.set(true))
            .await
            .unwrap();
        assert_eq!(
            client.send("GET", "/profile", None).await.status,
            StatusCode::OK,
            "{label}"
        );
        // A query-set update by another condition drops every cached user.
        User::objects()
            .filter(User::EMAIL.iexact("JANE.DOE@example.com"))
            .update(&db, User::IS_ACTIVE.set(false))
            .await
            .unwrap();
        assert_eq!(
            client.send("GET", "/profile", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_change_the_orm_does_not_see_applies_within_the_cache_ttl_or_at_forget() {
    // Raw SQL stands for another process (the same app on another machine).
    for test_db in databases().await {
        let db = test_db.db.clone();
        db.migrate().await.unwrap();
        let jane = create_user(&db, "jane@example.com").await;
        let sessions = SessionAuthentication::new()
            .user_cache(UserCache::new(std::time::Duration::from_millis(300)));
        let app = Aksara::new(db.clone())
            .middleware(memory_sessions())
            .middleware(AuthenticationLayer::<User>::new().with(sessions.clone()))
            .route("/login", post(login_view))
            .route("/profile", get(profile))
            .into_router();
        let mut client = Client::new(&app);
        client.login("jane@example.com", PASSWORD).await;
        assert_eq!(
            client.send("GET", "/profile", None).await.status,
            StatusCode::OK
        );
        let deactivate = format!(
            "UPDATE auth_users SET is_active = {} WHERE email = 'jane@example.com'",
            if test_db.label.contains("postgres") {
                "false"
            } else {
                "0"
            }
        );
        db.execute_raw(&deactivate).await.unwrap();
        // Within the time to live the cached user is served…
        assert_eq!(
            client.send("GET", "/profile", None).await.status,
            StatusCode::OK,
            "{}",
            test_db.label
        );
        // …until it is forgotten,
        sessions.cache().forget(jane.id);
        assert_eq!(
            client.send("GET", "/profile", None).await.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            test_db.label
        );
        // or, for a change nobody reported, until the time to live has passed.
        let reactivate = deactivate
            .replace("= false", "= true")
            .replace("= 0", "= 1");
        db.execute_raw(&reactivate).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(350)).await;
        assert_eq!(
            client.send("GET", "/profile", None).await.status,
            StatusCode::OK,
            "{}",
            test_db.label
        );
    }
}

#[tokio::test]
async fn two_apps_in_one_process_do_not_share_cached_users() {
    // Two databases holding a user with the same id and different emails: each
    // app must answer with its own row, whatever the other one cached.
    let first = Db::connect("sqlite::memory:").await.unwrap();
    let second = Db::connect("sqlite::memory:").await.unwrap();
    first.migrate().await.unwrap();
    second.migrate().await.unwrap();
    let jane = create_user(&first, "jane@example.com").await;
    let mut twin = jane.clone();
    twin.email = "twin@example.com".into();
    twin.save(&second).await.unwrap();
    let app_of = |db: &Db| {
        Aksara::new(db.clone())
            .middleware(memory_sessions())
            .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
            .route("/login", post(login_view))
            .route("/profile", get(profile))
            .into_router()
    };
    let (first_app, second_app) = (app_of(&first), app_of(&second));
    let mut on_first = Client::new(&first_app);
    let mut on_second = Client::new(&second_app);
    on_first.login("jane@example.com", PASSWORD).await;
    on_second.login("twin@example.com", PASSWORD).await;
    for _ in 0..2 {
        assert_eq!(
            on_first.send("GET", "/profile", None).await.body,
            "jane@example.com"
        );
        assert_eq!(
            on_second.send("GET", "/profile", None).await.body,
            "twin@example.com"
        );
    }
}

#[tokio::test]
async fn cross_site_unsafe_requests_with_the_session_cookie_are_refused() {
    each_setup(async |label, db, app| {
        create_user(&db, "jane@example.com").await;
        let mut client = Client::new(&app);
        assert_eq!(
            client.login("jane@example.com", PASSWORD).await.status,
            StatusCode::NO_CONTENT
        );
        let cookie = client.cookie.clone();

        let cases: [(&[(&'static str, &str)], StatusCode); 5] = [
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://evil.example"),
                ],
                StatusCode::FORBIDDEN,
            ),
            (&[("sec-fetch-site", "same-site")], StatusCode::FORBIDDEN),
            (&[("origin", "https://evil.example")], StatusCode::FORBIDDEN),
            (&[], StatusCode::FORBIDDEN),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://trusted.example"),
                ],
                StatusCode::NO_CONTENT,
            ),
        ];
        for (headers, expected) in cases {
            let mut attacker = Client::new(&app);
            attacker.cookie = cookie.clone();
            attacker.headers = headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
            let reply = attacker.send("POST", "/remember", None).await;
            assert_eq!(reply.status, expected, "{label}: {headers:?}");
            if expected == StatusCode::FORBIDDEN {
                assert_eq!(reply.json()["error"]["code"], "csrf_failed", "{label}");
            }
        }
        // The refused requests did not end the session.
        assert_eq!(
            client.send("GET", "/profile", None).await.status,
            StatusCode::OK,
            "{label}"
        );

        // A client that sends neither header proves itself with the token.
        let token = client.send("GET", "/csrf-token", None).await.body;
        let mut app_client = Client::new(&app);
        app_client.cookie = client.cookie.clone();
        app_client.headers = vec![("x-csrf-token", "wrong".to_owned())];
        assert_eq!(
            app_client.send("POST", "/remember", None).await.status,
            StatusCode::FORBIDDEN,
            "{label}"
        );
        app_client.headers = vec![("x-csrf-token", token)];
        assert_eq!(
            app_client.send("POST", "/remember", None).await.status,
            StatusCode::NO_CONTENT,
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn header_credentials_are_exempt_from_the_csrf_check() {
    each_setup(async |label, db, app| {
        create_user(&db, "jane@example.com").await;
        let mut api = Client::new(&app);
        api.headers = vec![
            ("x-test-user", "jane@example.com".to_owned()),
            ("sec-fetch-site", "cross-site".to_owned()),
            ("origin", "https://evil.example".to_owned()),
        ];
        let reply = api.send("POST", "/remember", None).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "{label}: {}",
            reply.body
        );
        assert_eq!(
            api.send("GET", "/profile", None).await.body,
            "jane@example.com",
            "{label}"
        );

        // A bad header credential ends the request with 401 and the challenges.
        api.headers = vec![("x-test-user", "nobody@example.com".to_owned())];
        let reply = api.send("GET", "/whoami", None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(
            reply.headers[header::WWW_AUTHENTICATE],
            "TestHeader realm=\"tests\"",
            "{label}"
        );
        assert_eq!(
            reply.json()["error"]["code"],
            "authentication_failed",
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_anonymous_request_is_answered_without_asking_the_authenticator() {
    for test_db in databases().await {
        test_db.db.migrate().await.unwrap();
        create_user(&test_db.db, "jane@example.com").await;
        // Session authentication alone: a request without a session cookie takes
        // the layers' fast path, and must still read as anonymous, vary on the
        // cookie, and log in as usual.
        let app = Aksara::new(test_db.db.clone())
            .middleware(memory_sessions())
            .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
            .route("/login", post(login_view))
            .route("/whoami", get(whoami))
            .into_router();
        let mut client = Client::new(&app);
        let reply = client.send("GET", "/whoami", None).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, "anonymous"),
            "{}",
            test_db.label
        );
        assert_eq!(reply.headers[header::VARY], "Cookie");
        assert!(!reply.headers.contains_key(header::SET_COOKIE));
        assert_eq!(
            client.login("jane@example.com", PASSWORD).await.status,
            StatusCode::NO_CONTENT
        );
        let reply = client.send("GET", "/whoami", None).await;
        assert_eq!(reply.body, "jane@example.com", "{}", test_db.label);
    }
}

#[tokio::test]
async fn an_anonymous_request_without_a_database_gets_a_500() {
    // Authenticators but no `Db` anywhere: a misconfigured app fails on every
    // request, not only on those that carry a credential.
    let app = axum::Router::new()
        .route("/whoami", get(whoami))
        .layer(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
        .layer(memory_sessions());
    let reply = Client::new(&app).send("GET", "/whoami", None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.json()["error"]["code"], "internal_error");
}

/// Reports in `x-seen` what a middleware after both layers finds in the request:
/// whether it has a session, and whether it is authenticated.
async fn report_extensions(
    request: Request<Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let session = Session::from_extensions(request.extensions()).is_some();
    let authenticated =
        aksara_auth::authentication::AuthStatus::from_extensions(request.extensions())
            .map(|status| status.is_authenticated());
    let mut response = next.run(request).await;
    let seen = format!("session={session} authenticated={authenticated:?}");
    response
        .headers_mut()
        .insert("x-seen", seen.parse().unwrap());
    response
}

#[tokio::test]
async fn middleware_reads_the_session_and_the_status_from_the_extensions() {
    let test_db = databases().await.swap_remove(0);
    test_db.db.migrate().await.unwrap();
    create_user(&test_db.db, "mia@example.com").await;
    let app = Aksara::new(test_db.db.clone())
        .middleware(memory_sessions())
        .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
        .middleware(axum::middleware::from_fn(report_extensions))
        .route("/login", post(login_view))
        .route("/whoami", get(whoami))
        .into_router();
    let mut client = Client::new(&app);
    let seen = |reply: &Reply| reply.headers["x-seen"].to_str().unwrap().to_owned();
    let anonymous = client.send("GET", "/whoami", None).await;
    assert_eq!(seen(&anonymous), "session=true authenticated=Some(false)");
    client.login("mia@example.com", PASSWORD).await;
    let logged_in = client.send("GET", "/whoami", None).await;
    assert_eq!(seen(&logged_in), "session=true authenticated=Some(true)");

    // The session middleware finds is the request's own: what it writes is stored.
    let app = Aksara::new(test_db.db.clone())
        .middleware(memory_sessions())
        .middleware(axum::middleware::from_fn(
            async |request: Request<Body>, next: axum::middleware::Next| {
                let session = Session::from_extensions(request.extensions()).unwrap();
                let visits: u32 = session.get("visits").await.unwrap().unwrap_or(0);
                session.insert("visits", &(visits + 1)).await.unwrap();
                next.run(request).await
            },
        ))
        .route(
            "/visits",
            get(async |session: Session| {
                session
                    .get::<u32>("visits")
                    .await
                    .unwrap()
                    .unwrap()
                    .to_string()
            }),
        )
        .into_router();
    let mut client = Client::new(&app);
    assert_eq!(client.send("GET", "/visits", None).await.body, "1");
    assert_eq!(client.send("GET", "/visits", None).await.body, "2");

    let bare = axum::Router::new()
        .route("/", get(|| async { "hi" }))
        .layer(axum::middleware::from_fn(report_extensions));
    let reply = Client::new(&bare).send("GET", "/", None).await;
    assert_eq!(seen(&reply), "session=false authenticated=None");
}

#[tokio::test]
async fn auth_errors_convert_with_question_mark_a_weak_password_is_400_and_a_lost_database_503() {
    each_setup(async |label, db, app| {
        create_user(&db, "weak@example.com").await;
        let mut client = Client::new(&app);
        assert_eq!(
            client.login("weak@example.com", PASSWORD).await.status,
            StatusCode::NO_CONTENT
        );
        let reply = client
            .send(
                "POST",
                "/password",
                Some(serde_json::json!({"password": "12345"})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{label}: {}",
            reply.body
        );
        let body = reply.json();
        assert_eq!(body["error"]["code"], "validation_error", "{label}");
        let messages = body["error"]["fields"]["password"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: messages under password: {body}"));
        assert_eq!(messages.len(), 3, "{label}: short, common, numeric: {body}");
    })
    .await;

    // A database that went away: the login answers 503 with no driver detail.
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    let app = app(db.clone(), MemoryStore::new());
    db.close().await;
    let reply = Client::new(&app).login("jane@example.com", PASSWORD).await;
    assert_eq!(
        reply.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["error"]["code"], "database_unavailable");
    assert!(reply.headers.contains_key(header::RETRY_AFTER));
    assert!(!reply.body.contains("pool"), "{}", reply.body);
}

#[tokio::test]
async fn every_4xx_of_the_framework_and_its_extractors_has_the_one_json_shape() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    create_user(&db, "jane@example.com").await;
    let app = app(db.clone(), MemoryStore::new());

    let raw = async |method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>| {
        let mut call = Call::new(method, path)
            .header(
                http::HeaderName::from_static("sec-fetch-site"),
                "same-origin",
            )
            .body(body);
        if let Some(content_type) = content_type {
            call = call.header(header::CONTENT_TYPE, content_type);
        }
        call.send(&app).await
    };
    let json = Some("application/json");
    let cases: Vec<(&str, StatusCode, &str, Option<&str>, Reply)> = vec![
        (
            "malformed JSON",
            StatusCode::BAD_REQUEST,
            "malformed_json",
            None,
            raw("POST", "/login", json, b"{\"email\": ".to_vec()).await,
        ),
        (
            "trailing text",
            StatusCode::BAD_REQUEST,
            "malformed_json",
            None,
            raw(
                "POST",
                "/login",
                json,
                br#"{"email":"a","password":"b"} x"#.to_vec(),
            )
            .await,
        ),
        (
            "no JSON content type",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
            raw("POST", "/login", Some("text/plain"), b"{}".to_vec()).await,
        ),
        (
            "a field of the wrong type",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            Some("email"),
            raw(
                "POST",
                "/login",
                json,
                br#"{"email": 5, "password": "x"}"#.to_vec(),
            )
            .await,
        ),
        (
            "a missing field",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            Some("password"),
            raw(
                "POST",
                "/login",
                json,
                br#"{"email": "jane@example.com"}"#.to_vec(),
            )
            .await,
        ),
        (
            "a body over the limit",
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            None,
            raw("POST", "/login", json, vec![b' '; 3 * 1024 * 1024]).await,
        ),
        (
            "a path segment of the wrong type",
            StatusCode::BAD_REQUEST,
            "invalid_path",
            None,
            raw("GET", "/items/seven?page=1", None, Vec::new()).await,
        ),
        (
            "a query of the wrong type",
            StatusCode::BAD_REQUEST,
            "invalid_query",
            None,
            raw("GET", "/items/7?page=last", None, Vec::new()).await,
        ),
        (
            "an unknown path",
            StatusCode::NOT_FOUND,
            "not_found",
            None,
            raw("GET", "/nowhere", None, Vec::new()).await,
        ),
        (
            "a wrong method",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
            raw("DELETE", "/login", None, Vec::new()).await,
        ),
        (
            "anonymous on a guarded route",
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            None,
            raw("GET", "/profile", None, Vec::new()).await,
        ),
    ];
    for (what, status, code, field, reply) in cases {
        assert_eq!(reply.status, status, "{what}");
        assert_eq!(
            reply.header(header::CONTENT_TYPE),
            "application/json",
            "{what}"
        );
        let body = reply.json();
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        assert!(body["error"]["message"].is_string(), "{what}: {body}");
        if let Some(field) = field {
            assert!(
                body["error"]["fields"][field].is_array(),
                "{what}: fields.{field}: {body}"
            );
        }
    }

    // The guards' and CSRF's refusals, as a logged-in client sees them.
    let mut client = Client::new(&app);
    assert_eq!(
        client.login("jane@example.com", PASSWORD).await.status,
        StatusCode::NO_CONTENT
    );
    let staff = client.send("GET", "/staff", None).await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN);
    assert_eq!(
        staff.json()["error"]["code"],
        "permission_denied",
        "{}",
        staff.body
    );
    client.headers = vec![("sec-fetch-site", "cross-site".to_owned())];
    let forged = client.send("POST", "/logout", None).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        forged.json()["error"]["code"].is_string(),
        "{}",
        forged.body
    );
}

/// An API-key authenticator that forgets `.by_header()`, as a newcomer's did.
#[derive(Clone)]
struct ForgetfulApiKey;

impl Authenticator<User> for ForgetfulApiKey {
    fn name(&self) -> &'static str {
        "api_key"
    }

    async fn authenticate(&self, parts: &http::request::Parts, db: &Db) -> Outcome<User> {
        if !parts.headers.contains_key("x-api-key") {
            return Outcome::NoCredential;
        }
        match User::objects().first(db).await {
            Ok(Some(user)) => Outcome::Authenticated(Authentication::new(user, "api_key")),
            Ok(None) => Outcome::invalid("no user"),
            Err(error) => Outcome::from(error),
        }
    }
}

#[tokio::test]
async fn a_header_authenticator_without_by_header_gets_403_and_one_warning_naming_the_fix() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    create_user(&db, "jane@example.com").await;
    let app = Aksara::new(db)
        .middleware(memory_sessions())
        .middleware(AuthenticationLayer::<User>::new().with(ForgetfulApiKey))
        .route("/remember", post(remember))
        .into_router();
    for _ in 0..2 {
        let mut client = Client::new(&app);
        client.headers = vec![("x-api-key", "k".to_owned())];
        let reply = client.send("POST", "/remember", None).await;
        // The safe default stays: such a credential is treated like a cookie.
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.json()["error"]["code"], "csrf_failed");
    }
    let text = logs.text();
    assert_eq!(text.matches("failed the CSRF check").count(), 1, "{text}");
    assert!(
        text.contains("api_key") && text.contains(".by_header()"),
        "{text}"
    );
}

#[test]
fn a_short_session_key_panics_with_what_to_do() {
    let panic = std::panic::catch_unwind(|| {
        let _ = SessionLayer::new(MemoryStore::new()).secret_key("fifteen bytes!!");
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("15 bytes"), "{message}");
    assert!(
        message.contains("AKSARA_SECRET_KEY") && message.contains("try_secret_key"),
        "{message}"
    );
}

#[tokio::test]
async fn login_rotates_the_csrf_token_and_cookie_responses_are_not_cached() {
    each_setup(async |label, db, app| {
        create_user(&db, "jane@example.com").await;
        let mut client = Client::new(&app);
        let anonymous = client.send("GET", "/csrf-token", None).await;
        assert_eq!(anonymous.status, StatusCode::OK, "{label}");
        // The token request started a session: its response sets the cookie.
        assert_eq!(
            anonymous.headers[header::CACHE_CONTROL],
            "no-store",
            "{label}"
        );
        let before = anonymous.body;
        let login = client.login("jane@example.com", PASSWORD).await;
        assert_eq!(login.status, StatusCode::NO_CONTENT, "{label}");
        assert_eq!(login.headers[header::CACHE_CONTROL], "no-store", "{label}");
        let after = client.send("GET", "/csrf-token", None).await.body;
        assert_ne!(
            before, after,
            "{label}: the token learnt before login still works"
        );
        // A response that sets no cookie keeps the handler's caching.
        let item = client.send("GET", "/items/1?page=2", None).await;
        assert!(item.headers.get(header::SET_COOKIE).is_none(), "{label}");
        assert!(item.headers.get(header::CACHE_CONTROL).is_none(), "{label}");
        let logout = client.send("POST", "/logout", None).await;
        assert_eq!(logout.headers[header::CACHE_CONTROL], "no-store", "{label}");
    })
    .await;
}

#[tokio::test]
async fn a_login_posted_from_another_site_is_refused() {
    each_setup(async |label, db, app| {
        create_user(&db, "jane@example.com").await;
        let cases: [&[(&'static str, &str)]; 3] = [
            &[("sec-fetch-site", "cross-site")],
            &[("sec-fetch-site", "same-site")],
            &[("origin", "https://evil.example")],
        ];
        for headers in cases {
            let mut attacker = Client::new(&app);
            attacker.headers = headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
            let reply = attacker.login("jane@example.com", PASSWORD).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}: {headers:?}");
            assert_eq!(reply.json()["error"]["code"], "csrf_failed", "{label}");
            assert!(
                reply.headers.get(header::SET_COOKIE).is_none(),
                "{label}: no session made"
            );
        }
        // This site's own page, a trusted origin, and a client without either
        // header (curl, a mobile app) log in.
        let allowed: [&[(&'static str, &str)]; 3] = [
            &[("sec-fetch-site", "same-origin")],
            &[("origin", "https://trusted.example")],
            &[],
        ];
        for headers in allowed {
            let mut client = Client::new(&app);
            client.headers = headers.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
            let reply = client.login("jane@example.com", PASSWORD).await;
            assert_eq!(reply.status, StatusCode::NO_CONTENT, "{label}: {headers:?}");
        }
    })
    .await;
}

/// The layer's fast path (no authenticator sees a credential, as with sessions
/// alone and no cookie yet) still marks a cross-site request, so the login
/// handler refuses it: login CSRF through an app with only session auth.
#[tokio::test]
async fn a_cross_site_login_is_refused_on_the_anonymous_fast_path_too() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    create_user(&db, "jane@example.com").await;
    let app = Aksara::new(db)
        .middleware(
            SessionLayer::new(MemoryStore::new())
                .secret_key(SECRET)
                .secure(false),
        )
        .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
        .route("/login", post(login_view))
        .into_router();
    let mut attacker = Client::new(&app);
    attacker.headers = vec![("sec-fetch-site", "cross-site".to_owned())];
    let reply = attacker.login("jane@example.com", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "csrf_failed");
    let mut own_page = Client::new(&app);
    let reply = own_page.login("jane@example.com", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
}
