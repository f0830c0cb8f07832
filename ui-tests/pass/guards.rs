//! The guard macros on handlers with other extractors, next to
//! `#[axum::debug_handler]` (the guard goes above it, so that the handler it
//! checks has the guard's extractor), on a plain router.

use aksara_auth::prelude::*;
use aksara_auth::User;
use axum::Json;
use axum::extract::{Path, State};
use axum::routing::{get, post};

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

#[login_required]
async fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

#[staff_required(redirect = "/login?from=admin")]
#[axum::debug_handler(state = AppState)]
async fn admin(State(state): State<AppState>, Path(id): Path<i64>, user: RequestUser<User>) -> String {
    format!("{} {id} {}", state.greeting, user.is_staff())
}

#[superuser_required]
#[axum::debug_handler]
async fn rename(Json(body): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(body)
}

#[login_required(redirect = "/accounts/login")]
pub async fn public_handler() -> &'static str {
    "ok"
}

/// Handlers grouped as associated functions: the guards, with or without
/// `redirect`, expand to the same function inside an `impl` block.
struct Accounts;

impl Accounts {
    #[login_required(redirect = "/accounts/login?x='\\")]
    async fn settings(user: CurrentUser<User>) -> String {
        user.email.clone()
    }

    #[staff_required]
    async fn audit() -> &'static str {
        "audit"
    }
}

fn main() {
    let _plain: axum::Router = axum::Router::new()
        .route("/profile", get(profile))
        .route("/admin/{id}", get(admin))
        .route("/rename", post(rename))
        .route("/public", get(public_handler))
        .route("/settings", get(Accounts::settings))
        .route("/audit", get(Accounts::audit))
        .with_state(AppState { greeting: "hi" });
}
