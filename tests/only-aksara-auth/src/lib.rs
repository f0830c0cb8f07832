//! A crate whose only dependency is `aksara-auth` (not even `aksara` or axum),
//! so that an expansion of `#[auth_user]` or a guard naming a crate the user does
//! not depend on fails to build here. (`#[derive(Model)]` on the application's
//! other models names `::aksara`, so a crate with models of its own depends on
//! `aksara` too, as the README's `Cargo.toml` does.)
#![deny(warnings)]

use aksara_auth::prelude::*;

/// A custom user model with a field of its own.
#[auth_user]
#[model(table = "users")]
pub struct User {
    pub name: String,
}

/// A guarded handler, with and without `redirect`.
#[login_required]
pub async fn profile(user: CurrentUser<User>) -> String {
    user.name.clone()
}

/// Associated functions can be guarded too.
pub struct Admin;

impl Admin {
    /// Staff only; anonymous visitors go to the login page.
    #[staff_required(redirect = "/login")]
    pub async fn dashboard(user: CurrentUser<User>) -> String {
        user.email.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn the_user_model_hashes_and_authenticates() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        User::objects()
            .create()
            .email("jane@example.com")
            .password("correct horse battery staple")
            .name("Jane")
            .exec(&db)
            .await
            .unwrap();
        let user = authenticate::<User>(&db, "JANE@example.com", "correct horse battery staple")
            .await
            .unwrap()
            .expect("the right password authenticates");
        assert_eq!(user.name, "Jane");
        assert!(
            authenticate::<User>(&db, "jane@example.com", "wrong")
                .await
                .unwrap()
                .is_none()
        );
    }
}
