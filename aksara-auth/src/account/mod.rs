//! The account API: a ready axum router of the endpoints dj-rest-auth gives
//! Django users — register, log in (JWT pair, opaque token or session), refresh,
//! verify, log out, read and edit the profile, change the password, and, with a
//! [`Mailer`], reset a forgotten password and verify the
//! address (optionally before the first login) — for any `#[auth_user]` model.
//!
//! ```
//! use aksara_auth::account::AccountRoutes;
//! use aksara_auth::jwt::JwtAuthentication;
//! use aksara_auth::prelude::*;
//! use aksara_auth::token::{TokenAuthentication, TokenSettings};
//! use aksara_auth::User;
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = Settings::from_sources(Some("debug = true"), None::<(String, String)>)?;
//! let db = Db::connect("sqlite::memory:").await?;
//! db.migrate().await?;
//! let accounts = AccountRoutes::<User>::from_settings(&db, &settings)?;
//! let app = Aksara::new(db)
//!     .middleware(
//!         AuthenticationLayer::<User>::new()
//!             .with(JwtAuthentication::new(accounts.jwt().clone()))
//!             .with(TokenAuthentication::new(settings.section::<TokenSettings>()?)),
//!     )
//!     .nest("/auth", accounts.into_router());
//! # let _ = app; Ok(()) }
//! ```
//!
//! Every body is JSON and every error has the one shape
//! `{"error":{"code":…,"message":…,"fields":{…}}}`. Which authenticators guard
//! `/me`, `/logout` and `/change-password` is the app's choice: the router reads
//! the [`CurrentUser`] the app's [`AuthenticationLayer`](crate::AuthenticationLayer)
//! found. The endpoints, their bodies and answers are in the guide's
//! [accounts page](crate::guide::accounts).

mod fields;
mod mail;
mod settings;

pub use settings::{AccountSettings, EmailVerification};

use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use aksara::{ApiError, Create, Db, Json, ModelInstance as _};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::authentication::primary_key;
use crate::email::Mailer;
use crate::jwt::{Claims, Jwt, JwtError, TokenType};
use crate::session::Session;
use crate::throttle::{MemoryThrottleStore, Throttle, ThrottleSettings, client_ip};
use crate::token::{Token, TokenSettings};
use crate::{AuthUser, CurrentUser, authenticate, normalize_email, record_login};

/// The largest body the account endpoints read (64 KiB): credentials and a
/// profile fit many times over; anything larger is a 413 before parsing.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Builds the account router for the user model `U`.
///
/// ```
/// use aksara_auth::account::AccountRoutes;
/// use aksara_auth::jwt::{Jwt, JwtAlgorithm};
/// use aksara_auth::User;
/// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap();
/// let router: aksara::axum::Router = AccountRoutes::<User>::new(jwt).into_router();
/// ```
pub struct AccountRoutes<U> {
    jwt: Jwt,
    tokens: TokenSettings,
    throttle: Throttle,
    mail: Option<mail::AccountMail>,
    user: PhantomData<fn() -> U>,
}

impl<U> std::fmt::Debug for AccountRoutes<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRoutes")
            .field("user_model", &std::any::type_name::<U>())
            .field("tokens", &self.tokens)
            .field("mailer", &self.mail.as_ref().map(|mail| &mail.mailer))
            .field("accounts", &self.mail.as_ref().map(|mail| &mail.settings))
            .finish_non_exhaustive()
    }
}

impl<U: AuthUser> AccountRoutes<U> {
    /// Issues JWTs with `jwt` and opaque tokens with the default
    /// [`TokenSettings`], and throttles logins with the default
    /// [`ThrottleSettings`] in this process's memory (see
    /// [`throttle`](Self::throttle) for an app on several machines).
    ///
    /// ```
    /// # use aksara_auth::account::AccountRoutes;
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// let routes = AccountRoutes::<aksara_auth::User>::new(Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap());
    /// ```
    #[must_use]
    pub fn new(jwt: Jwt) -> Self {
        let defaults = ThrottleSettings::default();
        Self {
            jwt,
            tokens: TokenSettings::default(),
            throttle: Throttle::new(
                MemoryThrottleStore::new(defaults.memory_max_entries),
                defaults,
            ),
            mail: None,
            user: PhantomData,
        }
    }

    /// Reads `[jwt]`, `[tokens]`, `[throttle]` (a `store = "database"`
    /// throttle counts in `db`), and `[email]` and `[accounts]` for the
    /// routes that mail (see [`email`](Self::email)).
    ///
    /// # Errors
    /// The settings' error, saying which key to fix: outside debug mode
    /// `[email] backend` and the two `[accounts]` pages must be set.
    ///
    /// ```
    /// # use aksara_auth::account::AccountRoutes;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let settings = aksara::Settings::from_sources(Some("debug = true"), None::<(String, String)>)?;
    /// let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let routes = AccountRoutes::<aksara_auth::User>::from_settings(&db, &settings)?;
    /// # Ok(()) }
    /// ```
    pub fn from_settings(
        db: &Db,
        settings: &aksara::Settings,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let accounts = settings
            .section::<AccountSettings>()?
            .for_app(settings.debug)
            .map_err(|invalid| format!("[accounts] {invalid}"))?;
        Ok(Self::new(Jwt::from_settings(settings)?)
            .tokens(settings.section::<TokenSettings>()?)
            .throttle(Throttle::from_settings(db, settings)?)
            .email(Mailer::from_settings(settings)?, accounts))
    }

    /// Mails with `mailer`, linking to the pages in `settings`, and mounts
    /// the routes that mail: `POST /forgot-password`, `/reset-password`,
    /// `/send-verification` and `/verify-email`. With
    /// [`EmailVerification::Mandatory`] registration waits for a confirmed
    /// address. Without this call those routes do not exist: a router that
    /// cannot mail does not pretend to.
    ///
    /// ```
    /// # use aksara_auth::account::{AccountRoutes, AccountSettings};
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// use aksara_auth::email::{Mailer, MemoryBackend};
    /// let routes = AccountRoutes::<aksara_auth::User>::new(Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap())
    ///     .email(
    ///         Mailer::new(MemoryBackend::new(), "accounts@example.com"),
    ///         AccountSettings::with_links("https://app.example.com/reset", "https://app.example.com/verify"),
    ///     );
    /// ```
    #[must_use]
    pub fn email(mut self, mailer: Mailer, settings: AccountSettings) -> Self {
        self.mail = Some(mail::AccountMail { mailer, settings });
        self
    }

    /// Counts failed logins (and, later, reset and verification mails) with
    /// `throttle`: after its limit even the right password gets 429
    /// `throttled` with `Retry-After`, until the window passes. Give every
    /// instance of an app one shared store (database or Redis) for one shared
    /// limit.
    ///
    /// ```
    /// # use aksara_auth::account::AccountRoutes;
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// use aksara_auth::Throttle;
    /// use aksara_auth::throttle::{MemoryThrottleStore, ThrottleSettings};
    /// let routes = AccountRoutes::<aksara_auth::User>::new(Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap())
    ///     .throttle(Throttle::new(MemoryThrottleStore::new(10_000), ThrottleSettings::default()));
    /// ```
    #[must_use]
    pub fn throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = throttle;
        self
    }

    /// How `POST /token` issues opaque tokens.
    ///
    /// ```
    /// # use aksara_auth::account::AccountRoutes;
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// use aksara_auth::token::TokenSettings;
    /// let routes = AccountRoutes::<aksara_auth::User>::new(Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap())
    ///     .tokens(TokenSettings::default());
    /// ```
    #[must_use]
    pub fn tokens(mut self, settings: TokenSettings) -> Self {
        self.tokens = settings;
        self
    }

    /// The JWT keys, for the app's
    /// [`JwtAuthentication`](crate::jwt::JwtAuthentication) (the two must
    /// share one `Jwt` so that a logout's revocation is seen at once).
    ///
    /// ```
    /// # use aksara_auth::account::AccountRoutes;
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm, JwtAuthentication};
    /// let routes = AccountRoutes::<aksara_auth::User>::new(Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap());
    /// let jwt_auth = JwtAuthentication::new(routes.jwt().clone());
    /// ```
    #[must_use]
    pub fn jwt(&self) -> &Jwt {
        &self.jwt
    }

    /// The router, to mount with `nest("/auth", …)`: `POST /register`,
    /// `/login`, `/session/login`, `/token`, `/refresh`, `/token/verify`,
    /// `/logout`, `/change-password`; `GET`, `PUT` and `PATCH /me`; and, with
    /// [`email`](Self::email), `POST /forgot-password`, `/reset-password`,
    /// `/send-verification` and `/verify-email`.
    ///
    /// ```
    /// # use aksara_auth::account::AccountRoutes;
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// let router: aksara::axum::Router =
    ///     AccountRoutes::<aksara_auth::User>::new(Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap()).into_router();
    /// ```
    pub fn into_router(self) -> axum::Router {
        let state = Arc::new(Accounts::<U> {
            jwt: self.jwt,
            tokens: self.tokens,
            throttle: self.throttle,
            mail: self.mail.clone(),
            user: PhantomData,
        });
        let mut router = axum::Router::new();
        if let Some(mail) = self.mail {
            let mailing = Arc::new(mail::Mailing {
                accounts: Arc::clone(&state),
                mail,
            });
            router = router.merge(
                axum::Router::new()
                    .route("/forgot-password", post(mail::forgot_password::<U>))
                    .route("/reset-password", post(mail::reset_password::<U>))
                    .route("/send-verification", post(mail::send_verification::<U>))
                    .route("/verify-email", post(mail::verify_email::<U>))
                    .with_state(mailing),
            );
        }
        router
            .route("/register", post(register::<U>))
            .route("/login", post(login_jwt::<U>))
            .route("/session/login", post(login_session::<U>))
            .route("/token", post(login_token::<U>))
            .route("/refresh", post(refresh::<U>))
            .route("/token/verify", post(verify::<U>))
            .route("/logout", post(logout::<U>))
            .route("/change-password", post(change_password::<U>))
            .route("/me", get(me::<U>).put(edit_me::<U>).patch(edit_me::<U>))
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(state)
    }
}

/// What the handlers share.
struct Accounts<U> {
    jwt: Jwt,
    tokens: TokenSettings,
    throttle: Throttle,
    mail: Option<mail::AccountMail>,
    user: PhantomData<fn() -> U>,
}

impl<U> Accounts<U> {
    /// How the router mails, when registration waits for a verified address.
    fn mandatory_verification(&self) -> Option<&mail::AccountMail> {
        self.mail
            .as_ref()
            .filter(|mail| mail.settings.email_verification == EmailVerification::Mandatory)
    }
}

type Shared<U> = State<Arc<Accounts<U>>>;

/// A `200` (or other status) JSON answer that must not be cached: it carries
/// credentials.
fn no_store(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 401 `invalid_credentials`: one answer for an unknown email, a wrong
/// password and an inactive account ([`authenticate`] also gives them one
/// timing).
fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("the email or the password is wrong").with_code("invalid_credentials")
}

/// 401 `invalid_token` for a refused refresh or verified token. Why it was
/// refused is logged at debug, not told.
fn invalid_token(error: &JwtError) -> ApiError {
    if let JwtError::Database(error) = error {
        tracing::error!(target: "aksara_auth::account", %error, "token check failed");
        return ApiError::internal();
    }
    tracing::debug!(target: "aksara_auth::account", %error, "token refused");
    ApiError::unauthorized("the token is invalid, expired or revoked").with_code("invalid_token")
}

/// The signed-in user, or 401 with a `Bearer` challenge.
fn signed_in<U>(user: Option<CurrentUser<U>>) -> Result<CurrentUser<U>, ApiError> {
    user.ok_or_else(|| {
        ApiError::unauthorized("authentication credentials were not provided")
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    })
}

/// `{email, password}` of the login endpoints.
#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

/// Checks `credentials` under the login throttle: refused outright while the
/// account or the client's address is over its limit (the right password
/// included), counted when wrong, the account's count cleared when right.
async fn check_credentials<U: AuthUser>(
    accounts: &Accounts<U>,
    db: &Db,
    parts: &axum::http::request::Parts,
    credentials: &Credentials,
) -> Result<U, ApiError> {
    let throttle = &accounts.throttle;
    let ip = client_ip(parts, throttle.settings().trusted_proxies);
    throttle.check_login(&credentials.email, ip).await?;
    let Some(user) = authenticate::<U>(db, &credentials.email, &credentials.password).await? else {
        throttle.login_failed(&credentials.email, ip).await;
        return Err(invalid_credentials());
    };
    if accounts.mandatory_verification().is_some() && !user.email_verified() {
        // The right password, but the address is not confirmed: the one
        // failure answer, after the same hash as every other.
        tracing::info!(target: "aksara_auth::login", user_id = %user.id(), outcome = "unverified", "authentication failed");
        return Err(invalid_credentials());
    }
    throttle.login_succeeded(&credentials.email).await;
    Ok(user)
}

/// `{user, access_token, refresh_token, token_type}` for a new JWT login.
async fn jwt_login<U: AuthUser>(
    accounts: &Accounts<U>,
    db: &Db,
    user: &U,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let pair = accounts.jwt.issue_pair(db, user).await?;
    Ok(no_store(
        status,
        serde_json::json!({
            "user": fields::user_json(user),
            "access_token": pair.access,
            "refresh_token": pair.refresh,
            "token_type": "bearer",
        }),
    ))
}

/// `POST /register`: creates the account and logs it in.
async fn register<U: AuthUser>(
    State(accounts): Shared<U>,
    db: Db,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Response, ApiError> {
    let text = |name: &str| match body.get(name) {
        Some(serde_json::Value::String(text)) => Ok(text.clone()),
        Some(_) => Err((name.to_owned(), "expected a string")),
        None => Err((name.to_owned(), "this field is required")),
    };
    let mut errors = aksara::ValidationErrors::default();
    let email = text("email").map_err(|(field, message)| errors.add(field, message));
    let password = text("password").map_err(|(field, message)| errors.add(field, message));
    let changes = fields::read_changes::<U>(&body, &["email", "password"]);
    let (Ok(email), Ok(password)) = (email, password) else {
        return Err(ApiError::validation(errors));
    };
    let changes = changes?;
    if let Err(invalid) = crate::validate_password::<U>(&password, None) {
        return Err(invalid.into());
    }
    let email = normalize_email(&email);
    let mut create = Create::<U>::new();
    for (index, value) in changes.values {
        create.set(index, value);
    }
    set_by_name::<U>(&mut create, "email", aksara::Value::Text(email.clone()));
    if let Some(mail) = accounts.mandatory_verification() {
        return mail::register_unverified(&accounts, mail, &db, email, &password, create).await;
    }
    let taken = U::objects()
        .filter(U::EMAIL_FIELD.eq(email))
        .exists(&db)
        .await?;
    if taken {
        return Err(email_taken());
    }
    let Some(user) = insert_account(&db, create, &password, Some(Utc::now())).await? else {
        return Err(email_taken());
    };
    tracing::info!(target: "aksara_auth::account", user_id = %user.id(), "account registered");
    jwt_login(&accounts, &db, &user, StatusCode::CREATED).await
}

/// Creates the account `create` describes with `password`, or `None` when
/// its address is taken. `last_login` is set with the hash when the
/// registration also logs the account in (one write, not two).
///
/// The row goes in first, with an unusable password: the unique index
/// decides between racing registrations of one address before any of them
/// spends a hash, and a flood of duplicates cannot fill the hashing queue.
/// If the hash cannot be stored the row is removed again.
async fn insert_account<U: AuthUser>(
    db: &Db,
    mut create: Create<U>,
    password: &str,
    last_login: Option<DateTime<Utc>>,
) -> Result<Option<U>, ApiError> {
    set_by_name::<U>(
        &mut create,
        "password",
        aksara::FieldType::to_value(&crate::PasswordHash::unusable()),
    );
    let mut user = match create.exec(db).await {
        Ok(user) => user,
        Err(aksara::Error::Unique { .. }) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let stored = match crate::hash_password(password).await {
        Ok(hash) => {
            let written = U::objects()
                .filter(primary_key::<U>().eq(user.id()))
                .update(
                    db,
                    std::iter::once(U::PASSWORD_FIELD.set(hash.clone()))
                        .chain(last_login.map(|at| U::LAST_LOGIN_FIELD.set(at))),
                )
                .await;
            user.set_password_hash(hash);
            if last_login.is_some() {
                user.set_last_login(last_login);
            }
            written.map(drop).map_err(ApiError::from)
        }
        Err(error) => Err(ApiError::from(error)),
    };
    if let Err(error) = stored {
        // No half-made account: the address is free again for the retry the
        // error invites.
        if let Err(cleanup) = user.delete(db).await {
            tracing::error!(target: "aksara_auth::account", error = %cleanup, "could not remove a registration whose password was not stored");
        }
        return Err(error);
    }
    Ok(Some(user))
}

fn email_taken() -> ApiError {
    ApiError::bad_request("an account with this email already exists")
        .with_code("email_taken")
        .with_field("email", "an account with this email already exists")
}

fn set_by_name<U: AuthUser>(create: &mut Create<U>, name: &str, value: aksara::Value) {
    if let Some(index) = U::META.fields.iter().position(|field| field.name == name) {
        create.set(index, value);
    }
}

/// `POST /login`: a JWT pair.
async fn login_jwt<U: AuthUser>(
    State(accounts): Shared<U>,
    db: Db,
    parts: axum::http::request::Parts,
    Json(credentials): Json<Credentials>,
) -> Result<Response, ApiError> {
    let mut user = check_credentials(&accounts, &db, &parts, &credentials).await?;
    record_login(&db, &mut user).await?;
    jwt_login(&accounts, &db, &user, StatusCode::OK).await
}

/// `POST /token`: an opaque bearer token.
async fn login_token<U: AuthUser>(
    State(accounts): Shared<U>,
    db: Db,
    parts: axum::http::request::Parts,
    Json(credentials): Json<Credentials>,
) -> Result<Response, ApiError> {
    let mut user = check_credentials(&accounts, &db, &parts, &credentials).await?;
    record_login(&db, &mut user).await?;
    let issued = Token::issue(&db, &user, &accounts.tokens).await?;
    Ok(no_store(
        StatusCode::OK,
        serde_json::json!({ "token": issued.key(), "user": fields::user_json(&user) }),
    ))
}

/// `POST /session/login`: a session cookie, for browser apps (CSRF-checked
/// as every session login is).
async fn login_session<U: AuthUser>(
    State(accounts): Shared<U>,
    db: Db,
    session: Session,
    parts: axum::http::request::Parts,
    Json(credentials): Json<Credentials>,
) -> Result<Response, ApiError> {
    let mut user = check_credentials(&accounts, &db, &parts, &credentials).await?;
    crate::login(&session, &db, &mut user).await?;
    Ok(no_store(
        StatusCode::OK,
        serde_json::json!({ "user": fields::user_json(&user) }),
    ))
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

/// `POST /refresh`: a rotated pair.
async fn refresh<U: AuthUser>(
    State(accounts): Shared<U>,
    db: Db,
    Json(body): Json<RefreshBody>,
) -> Result<Response, ApiError> {
    let pair = accounts
        .jwt
        .refresh::<U>(&db, &body.refresh_token)
        .await
        .map_err(|error| invalid_token(&error))?;
    Ok(no_store(
        StatusCode::OK,
        serde_json::json!({ "access_token": pair.access, "refresh_token": pair.refresh }),
    ))
}

#[derive(Deserialize)]
struct VerifyBody {
    token: String,
}

/// `POST /token/verify`: 200 for a live access or refresh token.
async fn verify<U: AuthUser>(
    State(accounts): Shared<U>,
    db: Db,
    Json(body): Json<VerifyBody>,
) -> Result<Response, ApiError> {
    let jwt = &accounts.jwt;
    let live = match jwt.decode(&body.token, TokenType::Access) {
        Ok(claims) => {
            !jwt.is_revoked(&db, &claims.jti).await?
                && jwt.token_user::<U>(&db, &claims).await?.is_some()
        }
        Err(_) => jwt
            .verify_refresh_token::<U>(&db, &body.token)
            .await?
            .is_some(),
    };
    if !live {
        return Err(invalid_token(&JwtError::Invalid("not live".into())));
    }
    Ok(no_store(StatusCode::OK, serde_json::json!({})))
}

#[derive(Deserialize, Default)]
struct LogoutBody {
    refresh_token: Option<String>,
}

/// `POST /logout`: ends the credential the request came with (its access
/// token, opaque token or session) and the refresh token it names.
async fn logout<U: AuthUser>(
    State(accounts): Shared<U>,
    db: Db,
    user: Option<CurrentUser<U>>,
    session: Option<Session>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let user = signed_in(user)?;
    // The body is optional; when present it is JSON like any other.
    let body: LogoutBody = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| {
            ApiError::bad_request(format!("the body is not valid JSON: {error}"))
                .with_code("malformed_json")
        })?
    };
    let authentication = user.authentication();
    if let Some(claims) = authentication.info::<Claims>() {
        accounts.jwt.revoke_claims(&db, claims).await?;
    }
    if let Some(token) = authentication.info::<Token>() {
        token.revoke(&db).await?;
    }
    if authentication.backend() == "session"
        && let Some(session) = session
    {
        crate::logout(&session).await;
    }
    if let Some(refresh) = body.refresh_token {
        // Only the user's own refresh token is theirs to revoke.
        if let Ok(claims) = accounts.jwt.decode(&refresh, TokenType::Refresh)
            && claims.sub == user.id().to_string()
        {
            accounts.jwt.revoke_claims(&db, &claims).await?;
        } else {
            return Err(invalid_token(&JwtError::Invalid(
                "not a refresh token of this user".into(),
            )));
        }
    }
    tracing::info!(target: "aksara_auth::account", user_id = %user.id(), "logged out");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /me`.
async fn me<U: AuthUser>(user: Option<CurrentUser<U>>) -> Result<Response, ApiError> {
    let user = signed_in(user)?;
    Ok(axum::Json(fields::user_json::<U>(&user)).into_response())
}

/// `PUT` / `PATCH /me`: both partial (only the named fields change).
async fn edit_me<U: AuthUser>(
    db: Db,
    user: Option<CurrentUser<U>>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<Response, ApiError> {
    let user = signed_in(user)?;
    let changes = fields::read_changes::<U>(&body, &[])?;
    // The row as stored now, not the authenticator's cached copy.
    let current = U::objects()
        .filter(primary_key::<U>().eq(user.id()))
        .first(&db)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
    let mut values = current.to_values();
    for (index, value) in changes.values {
        values[index] = value;
    }
    let mut updated = U::from_values(values)?;
    updated.save(&db).await?;
    Ok(axum::Json(fields::user_json(&updated)).into_response())
}

#[derive(Deserialize)]
struct ChangePassword {
    current_password: String,
    new_password: String,
}

/// `POST /change-password`: every other login of the user ends; the answer
/// holds a fresh JWT pair.
async fn change_password<U: AuthUser>(
    State(accounts): Shared<U>,
    db: Db,
    user: Option<CurrentUser<U>>,
    Json(body): Json<ChangePassword>,
) -> Result<Response, ApiError> {
    let user = signed_in(user)?;
    let mut current = U::objects()
        .filter(primary_key::<U>().eq(user.id()))
        .first(&db)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
    if !current.check_password(&body.current_password).await {
        return Err(ApiError::bad_request("the current password is wrong")
            .with_code("invalid_password")
            .with_field("current_password", "the current password is wrong"));
    }
    crate::validate_password(&body.new_password, Some(&current))
        .map_err(|invalid| {
            ApiError::from(aksara::Error::from(invalid)).with_code("validation_error")
        })
        .map_err(|error| rename_password_field(error, "new_password"))?;
    current.set_password(&body.new_password).await?;
    current.save(&db).await?;
    // Access tokens and sessions carry the password's digest and die with it;
    // refresh and opaque tokens are deleted.
    accounts.jwt.revoke_user(&db, &current).await?;
    Token::revoke_all(&db, &current).await?;
    tracing::info!(target: "aksara_auth::account", user_id = %current.id(), "password changed; other logins ended");
    let pair = accounts.jwt.issue_pair(&db, &current).await?;
    Ok(no_store(
        StatusCode::OK,
        serde_json::json!({ "access_token": pair.access, "refresh_token": pair.refresh }),
    ))
}

/// The password validators name the field `password`; this endpoint's is
/// `new_password`.
fn rename_password_field(error: ApiError, field: &str) -> ApiError {
    let mut renamed = aksara::ValidationErrors::default();
    if let Some(fields) = error.fields() {
        for name in fields.fields() {
            for message in fields.get(name).unwrap_or_default() {
                let name = if name == "password" { field } else { name };
                renamed.add(name, message.clone());
            }
        }
    }
    ApiError::validation(renamed)
}
