//! `#[auth_user]` with the struct's own fields and their `#[field]` options, other
//! derives kept, a `#[model]` table, and `login_field = "username"`: the injected
//! fields, the `AuthUser` impl, typed columns and the create builder are all there.
//! A user model is `Clone` and `Debug` whether or not it writes those derives.
#![deny(warnings)]

use aksara_auth::prelude::*;

/// A user model with fields of its own.
#[auth_user]
#[model(table = "users", indexes = [["name", "created_at"]])]
#[derive(Debug, Clone)]
pub struct User {
    /// Display name.
    #[field(max_length = 100, index)]
    pub name: String,
    /// Picture.
    #[field(url)]
    pub avatar_url: Option<String>,
    /// About the user.
    pub bio: Option<String>,
    /// A second address, validated.
    #[field(email, unique, column = "backup_address")]
    pub backup_email: Option<String>,
    /// Reputation.
    #[field(default = 0)]
    pub karma: i64,
    /// When the profile last changed.
    #[field(auto_now)]
    pub updated_at: DateTime<Utc>,
    /// Not stored.
    #[field(skip)]
    pub cached_badge: Option<String>,
}

/// A user model that logs in by username, without any field of its own.
mod by_username {
    use aksara_auth::prelude::*;

    /// Logs in with `username`; no derives written, yet `Clone` and `Debug`.
    #[auth_user(login_field = "username")]
    #[model(table = "members")]
    pub struct Member {}

    /// A `Clone` model pointing at the user model.
    #[derive(Model, Clone, Debug)]
    #[model(table = "notes")]
    pub struct Note {
        #[field(primary_key)]
        pub id: i64,
        pub author: ForeignKey<Member>,
    }
}

/// Logs in by email and has a `username` of its own (only
/// `login_field = "username"` injects one).
mod own_username {
    use aksara_auth::prelude::*;

    /// A handle shown to others, not a login.
    #[auth_user]
    #[model(table = "handles")]
    pub struct Handle {
        /// Optional, not unique.
        #[field(max_length = 30)]
        pub username: Option<String>,
    }
}

fn column_names(meta: &aksara::ModelMeta) -> Vec<&'static str> {
    meta.fields.iter().map(|field| field.column).collect()
}

fn main() {
    let meta = <User as Model>::META;
    assert_eq!(meta.table, "users");
    assert_eq!(
        column_names(meta),
        [
            "id",
            "email",
            "password",
            "is_active",
            "is_staff",
            "is_superuser",
            "email_verified",
            "created_at",
            "last_login",
            "name",
            "avatar_url",
            "bio",
            "backup_address",
            "karma",
            "updated_at",
        ]
    );
    assert!(<User as AuthUser>::LOGIN_IS_EMAIL);
    let _: aksara::Column<User, String> = User::NAME;
    let _: aksara::Column<User, PasswordHash> = User::PASSWORD;
    let _ = User::objects()
        .filter(User::EMAIL.iexact("jane@example.com") & User::KARMA.gte(10))
        .to_sql(Backend::Postgres);
    let _builder = User::objects()
        .create()
        .email("jane@example.com")
        .password("a long passphrase")
        .name("Jane")
        .backup_email("jane@backup.example.com");

    let user = User {
        id: Uuid::nil(),
        email: "jane@example.com".into(),
        password: PasswordHash::from_encoded("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
        is_active: true,
        is_staff: false,
        is_superuser: false,
        email_verified: false,
        created_at: Utc::now(),
        last_login: None,
        name: "Jane".into(),
        avatar_url: None,
        bio: None,
        backup_email: None,
        karma: 0,
        updated_at: Utc::now(),
        cached_badge: None,
    };
    assert_eq!(user.login(), "jane@example.com");
    assert!(user.is_authenticated() && user.is_active());
    assert_eq!(
        user.similarity_attributes(),
        [("email", "jane@example.com"), ("name", "Jane")]
    );
    assert!(!format!("{user:?}").contains("argon2"));

    let member_meta = <by_username::Member as Model>::META;
    assert_eq!(member_meta.table, "members");
    assert!(column_names(member_meta).contains(&"username"));
    assert!(!<by_username::Member as AuthUser>::LOGIN_IS_EMAIL);
    let _: aksara::Column<by_username::Member, String> = by_username::Member::USERNAME;
    fn clone_and_debug<T: Clone + std::fmt::Debug>() {}
    clone_and_debug::<by_username::Member>();
    clone_and_debug::<by_username::Note>();

    assert!(<own_username::Handle as AuthUser>::LOGIN_IS_EMAIL);
    let _: aksara::Column<own_username::Handle, Option<String>> = own_username::Handle::USERNAME;
}
