//! The complete auth API server: the application's own user model (name, bio,
//! avatar URL), session, opaque-token and JWT authentication on one layer, and
//! the account router at `/auth`, on a SQLite file created on first run. Reset
//! and verification mails are written as files to `./auth_api_mail/` (the file
//! email backend), where their links can be read.
//!
//! ```sh
//! cargo run --example auth_api             # serves on 127.0.0.1:8000 and prints curl lines
//! cargo run --example auth_api -- --demo   # runs the same requests in process, each answer checked
//! ```
//!
//! `AKSARA_DATABASE_URL` picks another database (CI runs the demo on
//! PostgreSQL and MariaDB too); `AKSARA_BIND` another address.

use aksara_auth::account::{AccountRoutes, AccountSettings};
use aksara_auth::csrf::CsrfSettings;
use aksara_auth::email::{Mailer, MemoryBackend};
use aksara_auth::jwt::JwtAuthentication;
use aksara_auth::prelude::*;
use aksara_auth::session::DbSessionStore;
use aksara_auth::token::{TokenAuthentication, TokenSettings};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The seed's user model: the AbstractUser fields from `#[auth_user]`, plus
/// the application's own.
#[auth_user]
#[model(table = "members")]
pub struct Member {
    /// Display name.
    #[field(max_length = 100)]
    pub name: String,
    /// About the member.
    pub bio: Option<String>,
    /// Picture, validated as a URL.
    #[field(url)]
    pub avatar_url: Option<String>,
}

/// The app: sessions in the database, three authenticators (JWT, opaque
/// token, session) and the account router, mailing as `[email]` says or, for
/// the demo, into `outbox`.
fn app(
    db: Db,
    settings: &Settings,
    outbox: Option<&MemoryBackend>,
) -> Result<Aksara, Box<dyn std::error::Error>> {
    let mut accounts = AccountRoutes::<Member>::from_settings(&db, settings)?;
    if let Some(outbox) = outbox {
        // The demo reads its mail in process rather than from files.
        accounts = accounts.email(
            Mailer::new(outbox.clone(), "accounts@example.com"),
            AccountSettings::debug_defaults(),
        );
    }
    let sessions = SessionLayer::from_settings(DbSessionStore::new(db.clone()), settings)?
        .secure(!settings.debug); // plain http on localhost while debugging
    Ok(Aksara::new(db)
        .middleware(sessions)
        .middleware(
            AuthenticationLayer::<Member>::new()
                .with(JwtAuthentication::new(accounts.jwt().clone()))
                .with(TokenAuthentication::new(
                    settings.section::<TokenSettings>()?,
                ))
                .with(SessionAuthentication::new())
                .trusted_origins(settings.section::<CsrfSettings>()?.trusted_origins),
        )
        .nest("/auth", accounts.into_router()))
}

/// One request of the demo: method, path, bearer token, body.
async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<serde_json::Value>,
) -> Result<(StatusCode, serde_json::Value), Box<dyn std::error::Error>> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = match body {
        Some(json) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))?,
        None => request.body(Body::empty())?,
    };
    let response = app.clone().oneshot(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes)?
    };
    println!("{method} {path} -> {status} {json}");
    Ok((status, json))
}

/// Fails the demo with what was expected and what came.
fn expect(
    what: &str,
    (status, json): &(StatusCode, serde_json::Value),
    want: StatusCode,
) -> Result<(), Box<dyn std::error::Error>> {
    if *status == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {want}, got {status} {json}").into())
    }
}

/// The token in the latest mail to `to` that links to `page`, waiting for it
/// (mail goes out off the request path).
async fn mailed_token(
    outbox: &MemoryBackend,
    to: &str,
    page: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    for _ in 0..500 {
        let token = outbox
            .outbox()
            .iter()
            .rev()
            .filter(|mail| mail.to == to)
            .find_map(|mail| {
                let link = &mail.text[mail.text.find(page)?..];
                let link = link.split_whitespace().next()?;
                Some(link.split_once("token=")?.1.to_owned())
            });
        if let Some(token) = token {
            println!("mail to {to}: a link to {page}");
            return Ok(token);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Err(format!("no mail to {to} linking to {page}").into())
}

/// Registers, edits the profile, verifies the address, logs in three ways,
/// refreshes, changes the password, logs out and resets the password,
/// checking every answer.
async fn demo(
    app: &axum::Router,
    outbox: &MemoryBackend,
) -> Result<(), Box<dyn std::error::Error>> {
    let email = format!("demo-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "correct horse battery staple";
    let registered = call(
        app,
        "POST",
        "/auth/register",
        None,
        Some(serde_json::json!({"email": email, "password": password, "name": "Jane"})),
    )
    .await?;
    expect("register", &registered, StatusCode::CREATED)?;
    let access = registered.1["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refresh = registered.1["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    expect(
        "anonymous /me",
        &call(app, "GET", "/auth/me", None, None).await?,
        StatusCode::UNAUTHORIZED,
    )?;
    expect(
        "/me",
        &call(app, "GET", "/auth/me", Some(&access), None).await?,
        StatusCode::OK,
    )?;
    let edit =
        serde_json::json!({"bio": "Rustacean", "avatar_url": "https://example.com/jane.png"});
    expect(
        "PATCH /me",
        &call(app, "PATCH", "/auth/me", Some(&access), Some(edit)).await?,
        StatusCode::OK,
    )?;
    let privileged = serde_json::json!({"is_staff": true});
    expect(
        "PATCH /me is_staff",
        &call(app, "PATCH", "/auth/me", Some(&access), Some(privileged)).await?,
        StatusCode::BAD_REQUEST,
    )?;
    let wrong = serde_json::json!({"email": email, "password": "wrong"});
    expect(
        "wrong password",
        &call(app, "POST", "/auth/login", None, Some(wrong)).await?,
        StatusCode::UNAUTHORIZED,
    )?;
    expect(
        "send verification",
        &call(app, "POST", "/auth/send-verification", Some(&access), None).await?,
        StatusCode::ACCEPTED,
    )?;
    let verification = mailed_token(outbox, &email, "/verify-email").await?;
    let verified = call(
        app,
        "POST",
        "/auth/verify-email",
        None,
        Some(serde_json::json!({ "token": verification })),
    )
    .await?;
    expect("verify email", &verified, StatusCode::OK)?;
    if verified.1["user"]["email_verified"] != true {
        return Err(format!("verify email: not verified: {}", verified.1).into());
    }
    let credentials = serde_json::json!({"email": email, "password": password});
    expect(
        "login",
        &call(app, "POST", "/auth/login", None, Some(credentials.clone())).await?,
        StatusCode::OK,
    )?;
    let token = call(app, "POST", "/auth/token", None, Some(credentials)).await?;
    expect("opaque token", &token, StatusCode::OK)?;
    let key = token.1["token"].as_str().unwrap_or_default().to_owned();
    expect(
        "/me by token",
        &call(app, "GET", "/auth/me", Some(&key), None).await?,
        StatusCode::OK,
    )?;
    let rotated = call(
        app,
        "POST",
        "/auth/refresh",
        None,
        Some(serde_json::json!({"refresh_token": refresh})),
    )
    .await?;
    expect("refresh", &rotated, StatusCode::OK)?;
    let change =
        serde_json::json!({"current_password": password, "new_password": "a brand new passphrase"});
    let changed = call(
        app,
        "POST",
        "/auth/change-password",
        Some(&access),
        Some(change),
    )
    .await?;
    expect("change password", &changed, StatusCode::OK)?;
    expect(
        "old token after the change",
        &call(app, "GET", "/auth/me", Some(&key), None).await?,
        StatusCode::UNAUTHORIZED,
    )?;
    let fresh = changed.1["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    expect(
        "logout",
        &call(app, "POST", "/auth/logout", Some(&fresh), None).await?,
        StatusCode::NO_CONTENT,
    )?;
    expect(
        "/me after logout",
        &call(app, "GET", "/auth/me", Some(&fresh), None).await?,
        StatusCode::UNAUTHORIZED,
    )?;
    let unknown = serde_json::json!({"email": "nobody@example.com"});
    let unknown = call(app, "POST", "/auth/forgot-password", None, Some(unknown)).await?;
    expect(
        "forgot password, unknown address",
        &unknown,
        StatusCode::ACCEPTED,
    )?;
    let forgot = serde_json::json!({ "email": email });
    let known = call(app, "POST", "/auth/forgot-password", None, Some(forgot)).await?;
    expect("forgot password", &known, StatusCode::ACCEPTED)?;
    if known.1 != unknown.1 {
        return Err("forgot password: a known and an unknown address answered differently".into());
    }
    let reset_token = mailed_token(outbox, &email, "/reset-password").await?;
    let reset =
        serde_json::json!({"token": reset_token, "new_password": "a third passphrase, reset"});
    expect(
        "reset password",
        &call(
            app,
            "POST",
            "/auth/reset-password",
            None,
            Some(reset.clone()),
        )
        .await?,
        StatusCode::OK,
    )?;
    expect(
        "the reset link used again",
        &call(app, "POST", "/auth/reset-password", None, Some(reset)).await?,
        StatusCode::BAD_REQUEST,
    )?;
    let after_reset = serde_json::json!({"email": email, "password": "a third passphrase, reset"});
    expect(
        "login with the reset password",
        &call(app, "POST", "/auth/login", None, Some(after_reset)).await?,
        StatusCode::OK,
    )?;
    println!("demo: every answer as expected");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()))
        .init();
    let demo_mode = std::env::args().any(|arg| arg == "--demo");
    let settings = Settings::from_sources(
        Some(if demo_mode {
            "debug = true\ndatabase_url = \"sqlite::memory:\""
        } else {
            "debug = true\ndatabase_url = \"sqlite://auth_api.db\"\n\
             [email]\nbackend = \"file\"\nfile_dir = \"auth_api_mail\"\n"
        }),
        std::env::vars(),
    )?;
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?; // creates the tables on first run
    if demo_mode {
        let outbox = MemoryBackend::new();
        let app = app(db, &settings, Some(&outbox))?;
        return demo(&app.into_router(), &outbox).await;
    }
    let app = app(db, &settings, None)?;
    let bind = settings.bind.clone();
    let json = "-H 'content-type: application/json'";
    println!("The account API on http://{bind}/auth. Try, in another terminal:");
    println!(
        "  curl -i {json} -d '{{\"email\":\"jane@example.com\",\"password\":\"correct horse battery staple\",\"name\":\"Jane\"}}' http://{bind}/auth/register"
    );
    println!(
        "  curl -i {json} -d '{{\"email\":\"jane@example.com\",\"password\":\"correct horse battery staple\"}}' http://{bind}/auth/login"
    );
    println!("  curl -i -H 'Authorization: Bearer <access_token>' http://{bind}/auth/me");
    println!(
        "  curl -i -X PATCH {json} -H 'Authorization: Bearer <access_token>' -d '{{\"bio\":\"Rustacean\"}}' http://{bind}/auth/me"
    );
    println!(
        "  curl -i {json} -d '{{\"refresh_token\":\"<refresh_token>\"}}' http://{bind}/auth/refresh"
    );
    println!(
        "  curl -i -X POST -H 'Authorization: Bearer <access_token>' http://{bind}/auth/logout"
    );
    println!("Mail (reset and verification links) is written as files to ./auth_api_mail/:");
    println!(
        "  curl -i -X POST -H 'Authorization: Bearer <access_token>' http://{bind}/auth/send-verification"
    );
    println!(
        "  curl -i {json} -d '{{\"token\":\"<token from the mail>\"}}' http://{bind}/auth/verify-email"
    );
    println!(
        "  curl -i {json} -d '{{\"email\":\"jane@example.com\"}}' http://{bind}/auth/forgot-password"
    );
    println!(
        "  curl -i {json} -d '{{\"token\":\"<token from the mail>\",\"new_password\":\"a new passphrase\"}}' http://{bind}/auth/reset-password"
    );
    app.settings(settings).serve(&bind).await?; // until Ctrl-C or SIGTERM
    Ok(())
}
