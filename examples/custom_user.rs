//! A custom user model with `#[auth_user]`: declare it, create a user (the
//! password is hashed with argon2id off the async runtime), authenticate, record
//! the login, and change the password.
//!
//! How to run: `cargo run --example custom_user` (uses a SQLite file in the
//! system's temporary directory; `DATABASE_URL=postgres://…` or `mysql://…` to use
//! another backend).

use aksara_auth::prelude::*;

/// The application's user: `#[auth_user]` adds `id`, `email`, `password`,
/// `is_active`, `is_staff`, `is_superuser`, `email_verified`, `created_at` and
/// `last_login` ahead of these fields, derives `Model`, `Clone`, `Debug` and implements `AuthUser`.
#[auth_user]
#[model(table = "users")]
pub struct User {
    /// Display name, at most 100 characters.
    #[field(max_length = 100)]
    pub name: String,
    /// Picture, validated as a URL.
    #[field(url)]
    pub avatar_url: Option<String>,
    /// About the user.
    pub bio: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        let path = std::env::temp_dir().join("aksara_custom_user.db");
        format!("sqlite://{}", path.display())
    });
    let db = Db::connect(&url).await?;
    db.migrate().await?; // creates `users`; the built-in `auth_users` is not created
    // Start from a clean slate so the example can run again.
    User::objects().delete(&db).await?;
    println!("user model: table `{}`", aksara_auth::user_model()?.table);

    // Create: the email's domain is lower-cased, the password hashed before insert.
    let user = User::objects()
        .create()
        .email("jane@Example.com")
        .password("securepassword123")
        .name("Jane")
        .avatar_url("https://example.com/jane.png")
        .exec(&db)
        .await?;
    println!("created {} <{}> (id {})", user.name, user.email, user.id);
    let stored = user.password.as_encoded();
    println!("stored password hash: {}…", &stored[..stored.len().min(40)]);
    assert!(user.check_password("securepassword123").await);

    // Authenticate: the login is trimmed and compared case-insensitively.
    let who = authenticate::<User>(&db, " Jane@Example.com", "securepassword123").await?;
    let Some(mut jane) = who else {
        return Err("the right password was refused".into());
    };
    println!(
        "authenticate(Jane@Example.com, right password) -> {}",
        jane.name
    );
    record_login(&db, &mut jane).await?;
    println!("last login recorded: {:?}", jane.last_login);
    for (login, password) in [
        ("jane@example.com", "wrong password"),
        ("nobody@example.com", "securepassword123"),
    ] {
        let outcome = authenticate::<User>(&db, login, password).await?;
        println!(
            "authenticate({login}, {password:?}) -> {}",
            outcome.map_or("refused", |_| "accepted")
        );
    }

    // Change the password: check the new one first, then hash, then save.
    let new_password = "correct horse battery staple";
    if let Err(problems) = validate_password("password123", Some(&jane)) {
        println!("`password123` is refused: {problems}");
    }
    validate_password(new_password, Some(&jane))?;
    jane.set_password(new_password).await?;
    jane.save(&db).await?;
    println!("password changed");

    let old = authenticate::<User>(&db, "jane@example.com", "securepassword123").await?;
    let new = authenticate::<User>(&db, "jane@example.com", new_password).await?;
    println!(
        "old password -> {}, new password -> {}",
        old.map_or("refused", |_| "accepted"),
        new.map_or("refused", |_| "accepted"),
    );
    Ok(())
}
