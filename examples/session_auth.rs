//! Session authentication end to end: an API server on SQLite with login,
//! profile and logout, guarded by `#[login_required]`, sessions stored in the
//! database, CSRF-checked, failed logins throttled (5 per account per 5 minutes,
//! 20 per client address per minute: `[throttle]` in the settings).
//!
//! How to run: `cargo run --example session_auth` serves on 127.0.0.1:8000 and
//! prints `curl` commands to try; `cargo run --example session_auth -- --demo`
//! runs the same requests in process and exits. Settings come from `AKSARA_*`
//! environment variables and `aksara.toml` (debug mode is on here, so a random
//! secret key is generated when none is set).

use aksara_auth::csrf::CsrfSettings;
use aksara_auth::prelude::*;
use aksara_auth::session::DbSessionStore;
use aksara_auth::throttle::{DbThrottleStore, ThrottleSettings, ThrottleStoreKind};
use aksara_auth::{ClientIp, Throttle, User};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

const DEMO_EMAIL: &str = "jane@example.com";
const DEMO_PASSWORD: &str = "correct horse battery staple";

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct Profile {
    id: Uuid,
    email: String,
    is_staff: bool,
    last_login: Option<DateTime<Utc>>,
}

/// `POST /auth/login`: the same 401 for an unknown email and a wrong password;
/// 429 with `Retry-After` once the account or the client address has failed too
/// often, even with the right password, until the window ends.
async fn login_view(
    db: Db,
    session: Session,
    throttle: Throttle,
    ClientIp(client): ClientIp,
    Json(credentials): Json<Credentials>,
) -> Result<StatusCode, ApiError> {
    throttle.check_login(&credentials.email, client).await?;
    let found = authenticate::<User>(&db, &credentials.email, &credentials.password).await?;
    let Some(mut user) = found else {
        throttle.login_failed(&credentials.email, client).await;
        return Err(
            ApiError::unauthorized("email or password is wrong").with_code("invalid_credentials")
        );
    };
    throttle.login_succeeded(&credentials.email).await;
    login(&session, &db, &mut user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/logout`: ends the session everywhere it is replayed.
async fn logout_view(session: Session) -> StatusCode {
    logout(&session).await;
    StatusCode::NO_CONTENT
}

/// `GET /profile`: 401 JSON for anonymous requests, the user otherwise.
#[login_required]
async fn profile(user: CurrentUser<User>) -> Json<Profile> {
    Json(Profile {
        id: user.id,
        email: user.email.clone(),
        is_staff: user.is_staff,
        last_login: user.last_login,
    })
}

async fn app() -> Result<(Aksara, Settings), Box<dyn std::error::Error>> {
    let settings = Settings::from_sources(
        Some("debug = true\ndatabase_url = \"sqlite://session_auth.db\""),
        std::env::vars(),
    )?;
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    if !User::objects()
        .filter(User::EMAIL.eq(DEMO_EMAIL))
        .exists(&db)
        .await?
    {
        User::objects()
            .create()
            .email(DEMO_EMAIL)
            .password(DEMO_PASSWORD)
            .exec(&db)
            .await?;
    }
    let sessions =
        SessionLayer::from_settings(DbSessionStore::new(db.clone()), &settings)?.secure(false); // plain http on localhost
    // Sessions nobody comes back to stay in the table until purged: every hour,
    // first now, until the process exits.
    let _purge = sessions.spawn_purge_task(aksara_auth::session::Duration::hours(1));
    tracing::info!("purging expired sessions every hour");
    // Counters in memory by default; `store = "database"` (or "redis") in
    // `[throttle]` shares them between the instances of an app.
    let throttle = Throttle::from_settings(&db, &settings)?;
    if settings.section::<ThrottleSettings>()?.store == ThrottleStoreKind::Database {
        let _purge =
            DbThrottleStore::spawn_purge_task(db.clone(), std::time::Duration::from_secs(600));
    }
    let router = Aksara::new(db)
        .middleware(axum::Extension(throttle))
        .middleware(sessions)
        .middleware(
            AuthenticationLayer::<User>::new()
                .with(SessionAuthentication::new())
                .trusted_origins(settings.section::<CsrfSettings>()?.trusted_origins),
        )
        .route(
            "/auth/login",
            // A login body is a few hundred bytes; refusing megabytes keeps a flood
            // of huge passwords from holding memory while logins wait to be hashed.
            post(login_view).layer(aksara_auth::password::credentials_body_limit()),
        )
        .route("/auth/logout", post(logout_view))
        .route("/profile", get(profile));
    Ok((router, settings))
}

/// The requests the printed `curl` commands make, in process.
async fn demo(app: axum::Router) -> Result<(), Box<dyn std::error::Error>> {
    let mut cookie: Option<String> = None;
    let steps: [(&str, &str, Option<serde_json::Value>); 5] = [
        ("GET", "/profile", None),
        (
            "POST",
            "/auth/login",
            Some(serde_json::json!({"email": DEMO_EMAIL, "password": "wrong"})),
        ),
        (
            "POST",
            "/auth/login",
            Some(serde_json::json!({"email": DEMO_EMAIL, "password": DEMO_PASSWORD})),
        ),
        ("GET", "/profile", None),
        ("POST", "/auth/logout", None),
    ];
    for (method, path, body) in steps.into_iter().chain([("GET", "/profile", None)]) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("sec-fetch-site", "same-origin");
        if let Some(cookie) = &cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let request = match &body {
            Some(json) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string()))?,
            None => request.body(Body::empty())?,
        };
        let response = app.clone().oneshot(request).await?;
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let set = set.to_str()?;
            cookie = (!set.contains("Max-Age=0"))
                .then(|| set.split(';').next().unwrap_or_default().to_owned());
        }
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        println!(
            "{method} {path} -> {status} {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()))
        .init();
    let (app, settings) = app().await?;
    if std::env::args().any(|arg| arg == "--demo") {
        return demo(app.into_router()).await;
    }
    let bind = settings.bind.clone();
    println!("Try, in another terminal:");
    println!("  curl -i http://{bind}/profile");
    println!(
        "  curl -i -c jar -H 'content-type: application/json' -d '{{\"email\":\"{DEMO_EMAIL}\",\"password\":\"{DEMO_PASSWORD}\"}}' http://{bind}/auth/login"
    );
    println!("  curl -i -b jar http://{bind}/profile");
    println!("  curl -i -b jar -H 'sec-fetch-site: same-origin' -X POST http://{bind}/auth/logout");
    app.settings(settings).serve(&bind).await?; // until Ctrl-C or SIGTERM
    Ok(())
}
