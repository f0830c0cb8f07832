//! A custom authenticator written against the public API: API keys in the
//! `X-API-Key` header (the seed's `APIKeyAuthentication`), on one layer with
//! sessions, opaque bearer tokens and JWT (the seed's `MultiAuthentication`),
//! each of the four reaching the same handler; and a route that takes bearer
//! tokens only (the seed's `authentication_classes = [TokenAuthentication]`).
//!
//! The `ApiKey` model is the application's own: a foreign key to the user, a
//! short public prefix for the lookup, only a SHA-256 digest of the secret part,
//! `is_active` and `last_used` (written at most once a minute per key). The key is
//! shown once, when issued. The authenticator loads the key and its user in one
//! query (`select_related`), compares digests in constant time and hands the key
//! to handlers as the authentication's info.
//!
//! How to run: `cargo run --example api_key -- --demo` runs the requests in
//! process (SQLite in memory, or the database `AKSARA_DATABASE_URL` names) and
//! checks every answer; without `--demo` it serves on 127.0.0.1:8000 and prints a
//! key and the `curl` commands to try.

use std::time::Duration;

use aksara_auth::User;
use aksara_auth::authentication::{Authentication, Authenticator, Outcome};
use aksara_auth::jwt::{Jwt, JwtAuthentication};
use aksara_auth::prelude::*;
use aksara_auth::token::{Token, TokenAuthentication, TokenSettings};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use tower::ServiceExt;

const API_KEY_HEADER: &str = "x-api-key";
/// How often `last_used` is written for one key, at most.
const LAST_USED_EVERY: Duration = Duration::from_secs(60);

/// An API key of one user; see the module docs.
#[derive(Model, Debug, Clone)]
#[model(table = "api_keys")]
pub struct ApiKey {
    /// Generated on create.
    #[field(primary_key)]
    pub id: Uuid,
    /// Whose key it is; deleting the user deletes their keys.
    pub user: ForeignKey<User>,
    /// The device or service the key is for.
    #[field(max_length = 100)]
    pub name: String,
    /// The public part of the key: what the lookup uses.
    #[field(unique, max_length = 16)]
    pub prefix: String,
    /// SHA-256 of the secret part, hex.
    #[field(max_length = 64)]
    pub digest: String,
    /// A revoked key stays, inactive, for the record.
    #[field(default = true)]
    pub is_active: bool,
    /// The last request it authenticated, to the minute.
    pub last_used: Option<DateTime<Utc>>,
    /// When it was issued.
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
}

impl ApiKey {
    /// A new key for `user`; the plaintext (`ak_<prefix>_<secret>`) is returned
    /// here and never again: only its digest is stored.
    pub async fn issue(db: &Db, user: &User, name: &str) -> aksara::Result<(Self, String)> {
        let prefix = hex(&random::<6>());
        let secret = hex(&random::<32>());
        let key = ApiKey::objects()
            .create()
            .user(ForeignKey::from_key(user.id))
            .name(name)
            .prefix(prefix.as_str())
            .digest(digest(&secret))
            .exec(db)
            .await?;
        Ok((key, format!("ak_{prefix}_{secret}")))
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn digest(secret: &str) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(secret.as_bytes()))
}

/// `ak_<prefix>_<secret>` from the header, or `None` when it has another shape.
fn parse_key(parts: &Parts) -> Option<(&str, &str)> {
    let value = parts.headers.get(API_KEY_HEADER)?.to_str().ok()?;
    let (prefix, secret) = value.trim().strip_prefix("ak_")?.split_once('_')?;
    let hex =
        |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(prefix, 12) && hex(secret, 64)).then_some((prefix, secret))
}

/// Authenticates `X-API-Key: ak_<prefix>_<secret>`.
pub struct ApiKeyAuthentication;

impl Authenticator<User> for ApiKeyAuthentication {
    fn name(&self) -> &'static str {
        "api_key"
    }

    fn has_credential(&self, parts: &Parts) -> bool {
        parts.headers.contains_key(API_KEY_HEADER)
    }

    async fn authenticate(&self, parts: &Parts, db: &Db) -> Outcome<User> {
        if !parts.headers.contains_key(API_KEY_HEADER) {
            return Outcome::NoCredential; // the next authenticator's turn
        }
        let Some((prefix, secret)) = parse_key(parts) else {
            return Outcome::invalid("malformed API key");
        };
        let found = ApiKey::objects()
            .filter(ApiKey::PREFIX.eq(prefix))
            .select_related(ApiKey::USER)
            .first(db)
            .await;
        let mut key = match found {
            Ok(Some(key)) => key,
            Ok(None) => return Outcome::invalid("invalid API key"),
            Err(error) => return Outcome::from(error),
        };
        let matches =
            subtle::ConstantTimeEq::ct_eq(digest(secret).as_bytes(), key.digest.as_bytes());
        let Some(user) = key.user.get().cloned() else {
            return Outcome::invalid("invalid API key");
        };
        if !bool::from(matches) || !key.is_active || !user.is_active {
            return Outcome::invalid("invalid API key");
        }
        let now = Utc::now();
        let stale = key
            .last_used
            .is_none_or(|at| (now - at).to_std().unwrap_or_default() >= LAST_USED_EVERY);
        if stale {
            key.last_used = Some(now);
            if let Err(error) = key.save(db).await {
                return Outcome::from(error);
            }
        }
        Outcome::Authenticated(
            Authentication::new(user, "api_key")
                .with_info(key)
                .by_header(),
        )
    }
}

/// `GET /whoami`: who called, and through which authenticator.
#[login_required]
async fn whoami(user: RequestUser<User>) -> String {
    let auth = user
        .authentication()
        .expect("the guard let only authenticated requests in");
    let via_key = auth
        .info::<ApiKey>()
        .map(|key| format!(" (key {})", key.name))
        .unwrap_or_default();
    format!("{} via {}{via_key}", auth.user().email, auth.backend())
}

/// `POST /login` with `{"email", "password"}`: a session login.
async fn session_login(
    session: Session,
    db: Db,
    axum::Json(form): axum::Json<serde_json::Value>,
) -> Result<&'static str, ApiError> {
    let email = form["email"].as_str().unwrap_or_default();
    let password = form["password"].as_str().unwrap_or_default();
    let Some(mut user) = authenticate::<User>(&db, email, password).await? else {
        return Err(ApiError::unauthorized("invalid email or password"));
    };
    login(&session, &db, &mut user).await?;
    Ok("logged in")
}

async fn app(db: Db, settings: &Settings) -> Result<Aksara, Box<dyn std::error::Error>> {
    let jwt = Jwt::from_settings(settings)?;
    let tokens: TokenSettings = settings.section()?;
    // The seed's `authentication_classes = [TokenAuthentication]`: this route's
    // own set decides who the caller is, whatever the app's layer found.
    let token_only = get(whoami).route_layer(
        AuthenticationLayer::<User>::new().with(TokenAuthentication::new(tokens.clone())),
    );
    Ok(Aksara::new(db)
        .middleware(SessionLayer::from_settings(MemoryStore::new(), settings)?.secure(false))
        .middleware(
            AuthenticationLayer::<User>::new()
                .with(ApiKeyAuthentication)
                .with(JwtAuthentication::new(jwt))
                .with(TokenAuthentication::new(tokens))
                .with(SessionAuthentication::new()),
        )
        .route("/whoami", get(whoami))
        .route("/token-only/whoami", token_only)
        .route("/login", post(session_login)))
}

/// A request header: name and value.
type Header<'a> = (&'a str, &'a str);

async fn call(
    app: &axum::Router,
    path: &str,
    header: Option<Header<'_>>,
) -> Result<(StatusCode, String), Box<dyn std::error::Error>> {
    let mut request = Request::get(path);
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = app.clone().oneshot(request.body(Body::empty())?).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Logs in by session and returns the `Cookie` header value to send.
async fn session_cookie(app: &axum::Router) -> Result<String, Box<dyn std::error::Error>> {
    let request = Request::post("/login")
        .header("content-type", "application/json")
        .body(Body::from(
            r#"{"email":"jane@example.com","password":"correct horse battery staple"}"#,
        ))?;
    let response = app.clone().oneshot(request).await?;
    assert_eq!(response.status(), StatusCode::OK, "session login");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .ok_or("the login set no cookie")?;
    Ok(cookie.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let demo = std::env::args().any(|arg| arg == "--demo");
    let settings = Settings::from_sources(
        Some(if demo {
            "debug = true\ndatabase_url = \"sqlite::memory:\""
        } else {
            "debug = true\ndatabase_url = \"sqlite://api_key.db\""
        }),
        std::env::vars(),
    )?;
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    let user = match User::objects()
        .filter(User::EMAIL.eq("jane@example.com"))
        .first(&db)
        .await?
    {
        Some(user) => user,
        None => {
            User::objects()
                .create()
                .email("jane@example.com")
                .password("correct horse battery staple")
                .exec(&db)
                .await?
        }
    };
    let (key, plaintext) = ApiKey::issue(&db, &user, "laptop").await?;
    let token = Token::issue_named(&db, &user, &settings.section()?, "cli").await?;
    let app = app(db.clone(), &settings).await?;

    if !demo {
        let bind = settings.bind.clone();
        println!(
            "Try, in another terminal:\n  curl -i -H 'X-API-Key: {plaintext}' http://{bind}/whoami"
        );
        println!(
            "  curl -i -H 'Authorization: Token {}' http://{bind}/token-only/whoami",
            token.key()
        );
        println!("  curl -i http://{bind}/whoami   # 401");
        app.settings(settings).serve(&bind).await?; // until Ctrl-C or SIGTERM
        return Ok(());
    }
    let app = app.into_router();

    let jwt = Jwt::from_settings(&settings)?;
    let bearer_jwt = format!("Bearer {}", jwt.access_token(&user)?);
    let bearer_token = format!("Bearer {}", token.key());
    let token_scheme = format!("Token {}", token.key());
    let cookie = session_cookie(&app).await?;
    let wrong_key = format!("ak_{}_{}", key.prefix, "0".repeat(64));
    let checks: [(&str, Option<Header>, StatusCode, &str); 11] = [
        // One handler, reached by each of the four.
        (
            "/whoami",
            Some(("x-api-key", &plaintext)),
            StatusCode::OK,
            "jane@example.com via api_key (key laptop)",
        ),
        (
            "/whoami",
            Some(("authorization", &bearer_jwt)),
            StatusCode::OK,
            "jane@example.com via jwt",
        ),
        (
            "/whoami",
            Some(("authorization", &bearer_token)),
            StatusCode::OK,
            "jane@example.com via token",
        ),
        (
            "/whoami",
            Some(("cookie", &cookie)),
            StatusCode::OK,
            "jane@example.com via session",
        ),
        // Anonymous: 401 naming the header scheme (JWT and tokens share `Bearer`).
        (
            "/whoami",
            None,
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
        ),
        (
            "/whoami",
            Some(("x-api-key", "ak_nothex_123")),
            StatusCode::UNAUTHORIZED,
            "malformed API key",
        ),
        (
            "/whoami",
            Some(("x-api-key", &wrong_key)),
            StatusCode::UNAUTHORIZED,
            "invalid API key",
        ),
        (
            "/whoami",
            Some(("authorization", "Token aks_nope")),
            StatusCode::UNAUTHORIZED,
            "invalid token",
        ),
        // The token-only route: a token works, the session and JWT do not.
        (
            "/token-only/whoami",
            Some(("authorization", &token_scheme)),
            StatusCode::OK,
            "jane@example.com via token",
        ),
        (
            "/token-only/whoami",
            Some(("cookie", &cookie)),
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
        ),
        (
            "/token-only/whoami",
            Some(("authorization", &bearer_jwt)),
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
        ),
    ];
    for (path, header, status, expected) in checks {
        let (got, body) = call(&app, path, header).await?;
        println!(
            "GET {path} {:?} -> {got} {body}",
            header.map(|(name, _)| name)
        );
        assert_eq!(got, status, "{path}: {body}");
        assert!(
            body.contains(expected),
            "{path}: expected {expected:?} in {body}"
        );
    }
    let used = ApiKey::objects().get(&db, ApiKey::ID.eq(key.id)).await?;
    assert!(used.last_used.is_some(), "last_used is written on use");
    println!("last_used: {:?}", used.last_used);
    Ok(())
}
