use aksara::axum::http::StatusCode;
use aksara::axum::routing::{get, post};
use aksara_auth::prelude::*;
use aksara_auth::session::DbSessionStore;
use serde::{Deserialize, Serialize};

#[auth_user]
#[model(table = "users")]
pub struct User {
    #[field(max_length = 100)]
    pub name: String,
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct Profile {
    email: String,
    name: String,
}

async fn login_view(
    db: Db,
    session: Session,
    Json(form): Json<Credentials>,
) -> Result<StatusCode, ApiError> {
    let Some(mut user) = authenticate::<User>(&db, &form.email, &form.password).await? else {
        return Err(ApiError::unauthorized("email or password is wrong"));
    };
    login(&session, &db, &mut user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[login_required]
async fn profile(user: CurrentUser<User>) -> Json<Profile> {
    Json(Profile {
        email: user.email.clone(),
        name: user.name.clone(),
    })
}

async fn logout_view(session: Session) -> StatusCode {
    logout(&session).await;
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::load()?;
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    let bind = settings.bind.clone();
    let sessions = SessionLayer::new(DbSessionStore::new(db.clone()))
        .secret_key(settings.secret_key.as_bytes());
    Aksara::new(db)
        .middleware(sessions)
        .middleware(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()))
        .settings(settings)
        .route(
            "/auth/login",
            post(login_view).layer(aksara_auth::password::credentials_body_limit()),
        )
        .route("/auth/logout", post(logout_view))
        .route("/profile", get(profile))
        .serve(&bind)
        .await?;
    Ok(())
}
