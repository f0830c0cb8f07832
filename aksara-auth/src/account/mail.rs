//! The account endpoints that mail a link: forgot / reset password, send /
//! confirm a verification, and registration with mandatory verification.
//!
//! Whether an address has an account must not show in the answer nor in its
//! timing, so the request path does the same work for every address (parse,
//! throttle, hand off) and a background task looks the account up, issues the
//! one-time token and sends the mail. A failure there is logged and never
//! reaches the client.

use std::sync::Arc;
use std::time::Duration;

use aksara::{ApiError, Db, Json};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{AccountSettings, Accounts, fields, no_store, rename_password_field, signed_in};
use crate::authentication::primary_key;
use crate::email::{Email, MailContext, Mailer};
use crate::one_time::{ConsumeError, OneTimeToken, Purpose};
use crate::throttle::EmailAction;
use crate::token::Token;
use crate::{AuthUser, CurrentUser, normalize_email};

/// The longest address SMTP carries (RFC 5321's path limit); anything longer
/// is a 400 before it reaches the throttle or the database.
const MAX_EMAIL_LENGTH: usize = 254;

/// How the account router mails: given together with the settings that
/// shape its links, so no route can exist that would mail without them.
#[derive(Clone)]
pub(super) struct AccountMail {
    pub(super) mailer: Mailer,
    pub(super) settings: AccountSettings,
}

/// The mail routes' state: the router's, and how it mails.
pub(super) struct Mailing<U> {
    pub(super) accounts: Arc<Accounts<U>>,
    pub(super) mail: AccountMail,
}

type MailShared<U> = State<Arc<Mailing<U>>>;

/// The mail one of these endpoints asked for, sent by [`send_later`].
enum MailJob {
    /// A reset link, if `email` belongs to an active account.
    PasswordReset { email: String },
    /// A verification link to the user's current address.
    Verification { user_id: uuid::Uuid },
    /// A registration named an address that has an account: its owner hears
    /// of it, with the way back in (the reset page).
    AccountExists { email: String },
}

impl MailJob {
    fn name(&self) -> &'static str {
        match self {
            Self::PasswordReset { .. } => "password_reset",
            Self::Verification { .. } => "email_verification",
            Self::AccountExists { .. } => "account_exists",
        }
    }
}

/// Runs `job` off the request path; its failure is logged, not answered.
fn send_later<U: AuthUser>(accounts: &Arc<Accounts<U>>, mail: &AccountMail, db: &Db, job: MailJob) {
    let accounts = Arc::clone(accounts);
    let mail = mail.clone();
    let db = db.clone();
    tokio::spawn(async move {
        let name = job.name();
        if let Err(error) = run(&accounts, &mail, &db, job).await {
            tracing::warn!(target: "aksara_auth::account", mail = name, %error, "account mail not sent");
        }
    });
}

async fn run<U: AuthUser>(
    accounts: &Accounts<U>,
    mail: &AccountMail,
    db: &Db,
    job: MailJob,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mailer = &mail.mailer;
    let settings = &mail.settings;
    let (user, purpose, ttl) = match job {
        MailJob::PasswordReset { email } => {
            let Some(user) = find_by_email::<U>(db, &email).await? else {
                tracing::debug!(target: "aksara_auth::account", "password reset asked for an address without an account");
                return Ok(());
            };
            if !user.is_active() {
                tracing::debug!(target: "aksara_auth::account", user_id = %user.id(), "password reset asked for an inactive account");
                return Ok(());
            }
            (
                user,
                Purpose::PasswordReset,
                accounts.tokens.password_reset_ttl,
            )
        }
        MailJob::Verification { user_id } => {
            let Some(user) = U::objects()
                .filter(primary_key::<U>().eq(user_id))
                .first(db)
                .await?
            else {
                return Ok(());
            };
            (
                user,
                Purpose::EmailVerification,
                accounts.tokens.email_verification_ttl,
            )
        }
        MailJob::AccountExists { email } => {
            let Some(user) = find_by_email::<U>(db, &email).await? else {
                return Ok(());
            };
            let link = settings
                .password_reset_url
                .clone()
                .ok_or("no [accounts] password_reset_url")?;
            let content = mailer.templates().account_exists(&context(
                mailer,
                user.email(),
                &link,
                accounts.tokens.password_reset_ttl,
            ));
            return send(mailer, Email::from_content(user.email(), content)).await;
        }
    };
    let key = OneTimeToken::issue(db, &user, purpose, ttl).await?;
    let templates = mailer.templates();
    let content = if purpose == Purpose::PasswordReset {
        let link = settings
            .password_reset_link(key.as_str())
            .ok_or("no [accounts] password_reset_url")?;
        templates.password_reset(&context(mailer, user.email(), link.as_str(), ttl))
    } else {
        let link = settings
            .email_verification_link(key.as_str())
            .ok_or("no [accounts] email_verification_url")?;
        templates.email_verification(&context(mailer, user.email(), link.as_str(), ttl))
    };
    tracing::info!(target: "aksara_auth::account", user_id = %user.id(), ?purpose, "one-time link mailed");
    send(mailer, Email::from_content(user.email(), content)).await
}

fn context<'a>(
    mailer: &'a Mailer,
    email: &'a str,
    link: &'a str,
    ttl: Duration,
) -> MailContext<'a> {
    MailContext {
        email,
        link,
        site_name: mailer.site_name(),
        valid_for: ttl,
    }
}

async fn send(
    mailer: &Mailer,
    email: Email,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    mailer.send(&email).await?;
    Ok(())
}

/// The account whose address is `email`, in any case (one indexed lookup).
pub(super) async fn find_by_email<U: AuthUser>(db: &Db, email: &str) -> aksara::Result<Option<U>> {
    Ok(U::objects()
        .filter(U::EMAIL_FIELD.iexact(&normalize_email(email)))
        .limit(1)
        .all(db)
        .await?
        .pop())
}

/// `202 {"detail": …}`: the answer of every endpoint here that mails.
fn accepted(detail: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({ "detail": detail })),
    )
        .into_response()
}

/// 400 `invalid_token`: a reset or verification token that is tampered,
/// used, expired, of the other kind, or older than the account's last
/// password or address change. Which of these is logged, not told.
fn invalid_token(error: ConsumeError) -> ApiError {
    match error {
        ConsumeError::InvalidToken => {
            ApiError::bad_request("the link is invalid, expired or already used; ask for a new one")
                .with_code("invalid_token")
                .with_field("token", "invalid, expired or already used")
        }
        ConsumeError::Database(error) => ApiError::from(error),
    }
}

#[derive(Deserialize)]
pub(super) struct EmailBody {
    email: String,
}

/// Refuses an address longer than any mail system carries.
fn bounded(email: &str) -> Result<(), ApiError> {
    if email.chars().count() > MAX_EMAIL_LENGTH {
        let mut errors = aksara::ValidationErrors::default();
        errors.add(
            "email",
            format!("ensure this value has at most {MAX_EMAIL_LENGTH} characters"),
        );
        return Err(ApiError::validation(errors));
    }
    Ok(())
}

/// `POST /forgot-password`: 202 whether or not the address has an account;
/// a reset link is mailed only when it does.
pub(super) async fn forgot_password<U: AuthUser>(
    State(mailing): MailShared<U>,
    db: Db,
    Json(body): Json<EmailBody>,
) -> Result<Response, ApiError> {
    let accounts = &mailing.accounts;
    bounded(&body.email)?;
    accounts
        .throttle
        .hit_email(EmailAction::ForgotPassword, &body.email)
        .await?;
    send_later(
        accounts,
        &mailing.mail,
        &db,
        MailJob::PasswordReset { email: body.email },
    );
    Ok(accepted(
        "if an account has this address, a link to reset its password is on its way",
    ))
}

#[derive(Deserialize)]
pub(super) struct ResetBody {
    token: String,
    new_password: String,
}

/// `POST /reset-password`: sets the new password once per token and ends
/// every login of the account; the client logs in afresh.
pub(super) async fn reset_password<U: AuthUser>(
    State(mailing): MailShared<U>,
    db: Db,
    Json(body): Json<ResetBody>,
) -> Result<Response, ApiError> {
    // Checked before it is used up, so that a password the validators refuse
    // leaves the link working for a better one.
    let user = OneTimeToken::check::<U>(&db, Purpose::PasswordReset, &body.token)
        .await
        .map_err(invalid_token)?;
    crate::validate_password(&body.new_password, Some(&user))
        .map_err(|invalid| ApiError::from(aksara::Error::from(invalid)))
        .map_err(|error| rename_password_field(error, "new_password"))?;
    // Of racing resets with one token, only the one that uses it up goes on.
    let mut user = OneTimeToken::consume::<U>(&db, Purpose::PasswordReset, &body.token)
        .await
        .map_err(invalid_token)?;
    user.set_password(&body.new_password).await?;
    U::objects()
        .filter(primary_key::<U>().eq(user.id()))
        .update(&db, U::PASSWORD_FIELD.set(user.password_hash().clone()))
        .await?;
    // Sessions and access tokens carry the password's digest and die with
    // it; refresh, opaque and other reset tokens are deleted.
    mailing.accounts.jwt.revoke_user(&db, &user).await?;
    Token::revoke_all(&db, &user).await?;
    OneTimeToken::revoke_all(&db, &user, Purpose::PasswordReset).await?;
    tracing::info!(target: "aksara_auth::account", user_id = %user.id(), "password reset; every login ended");
    Ok(no_store(
        StatusCode::OK,
        serde_json::json!({ "detail": "the password is reset; log in with the new one" }),
    ))
}

/// `POST /send-verification`: mails the signed-in user a link that confirms
/// their address.
pub(super) async fn send_verification<U: AuthUser>(
    State(mailing): MailShared<U>,
    db: Db,
    user: Option<CurrentUser<U>>,
) -> Result<Response, ApiError> {
    let user = signed_in(user)?;
    mailing
        .accounts
        .throttle
        .hit_email(EmailAction::SendVerification, user.email())
        .await?;
    if user.email_verified() {
        return Ok((
            StatusCode::OK,
            axum::Json(serde_json::json!({ "detail": "this address is already verified" })),
        )
            .into_response());
    }
    send_later(
        &mailing.accounts,
        &mailing.mail,
        &db,
        MailJob::Verification { user_id: user.id() },
    );
    Ok(accepted("a link to verify the address is on its way"))
}

#[derive(Deserialize)]
pub(super) struct TokenBody {
    token: String,
}

/// `POST /verify-email`: confirms the address the token was mailed to.
pub(super) async fn verify_email<U: AuthUser>(
    db: Db,
    Json(body): Json<TokenBody>,
) -> Result<Response, ApiError> {
    let mut user = OneTimeToken::consume::<U>(&db, Purpose::EmailVerification, &body.token)
        .await
        .map_err(invalid_token)?;
    U::objects()
        .filter(primary_key::<U>().eq(user.id()))
        .update(&db, U::EMAIL_VERIFIED_FIELD.set(true))
        .await?;
    let mut values = user.to_values();
    if let Some(index) = U::META
        .fields
        .iter()
        .position(|field| field.name == "email_verified")
    {
        values[index] = aksara::Value::Bool(true);
        user = U::from_values(values)?;
    }
    tracing::info!(target: "aksara_auth::account", user_id = %user.id(), "email verified");
    Ok(axum::Json(serde_json::json!({ "user": fields::user_json(&user) })).into_response())
}

/// Registration with mandatory verification, after the body is checked: one
/// 202 for a new and a taken address, each costing one password hash; the
/// new account gets a verification link, a taken address's owner an
/// "account exists" mail.
pub(super) async fn register_unverified<U: AuthUser>(
    accounts: &Arc<Accounts<U>>,
    mail: &AccountMail,
    db: &Db,
    email: String,
    password: &str,
    create: aksara::Create<U>,
) -> Result<Response, ApiError> {
    accounts
        .throttle
        .hit_email(EmailAction::SendVerification, &email)
        .await?;
    match super::insert_account(db, create, password, None).await? {
        Some(user) => {
            tracing::info!(target: "aksara_auth::account", user_id = %user.id(), "account registered, awaiting verification");
            send_later(
                accounts,
                mail,
                db,
                MailJob::Verification { user_id: user.id() },
            );
        }
        None => {
            // The same cost as a new account's hash, so the timing does not
            // tell a taken address either.
            let _ = crate::hash_password(password).await?;
            tracing::info!(target: "aksara_auth::account", "registration for a taken address; its owner is told");
            send_later(accounts, mail, db, MailJob::AccountExists { email });
        }
    }
    Ok(accepted(
        "check the inbox of this address for a link to confirm it",
    ))
}
