//! Users and passwords with the application's own `#[auth_user]` model (the one
//! from the issue): hashing on create, `check_password`/`set_password`,
//! `authenticate` for every outcome, email normalisation and uniqueness, Django's
//! stored formats and their upgrade, malformed hashes, `record_login`,
//! `validate_password`, the `"auth.user"` slot, and the dummy verification that
//! keeps an unknown login as slow as a wrong password.
//!
//! This binary holds exactly one `#[auth_user]` model: a second one would claim
//! the same slot and make `migrate()` fail.

use std::time::Duration;

use aksara::Error;
use aksara_auth::password::{Argon2Params, PasswordHash, PasswordHasher};
use aksara_auth::prelude::*;
use aksara_tests::{databases, on_each_database};

/// The custom user model of the issue, as an application writes it.
#[auth_user]
#[model(table = "users")]
pub struct User {
    /// Display name.
    #[field(max_length = 100)]
    pub name: String,
    /// Picture, validated as a URL.
    #[field(url)]
    pub avatar_url: Option<String>,
    /// About the user.
    pub bio: Option<String>,
}

const PASSWORD: &str = "securepassword123";

/// The prefix of a hash at the current (OWASP) parameters.
const CURRENT_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// `make_password("migrated from django", "s4ltFromDjango42")` from Django 5.2.19's
/// `PBKDF2PasswordHasher` with `iterations = 1000`; also equal to
/// `base64(hashlib.pbkdf2_hmac("sha256", password, salt, 1000))`.
const DJANGO_PBKDF2: &str =
    "pbkdf2_sha256$1000$s4ltFromDjango42$+kvBTg6SWy8/fzBdzW8XhOyJB6Tba4vAYFqPyIFa0/s=";
/// `make_password("migrated from django", hasher="argon2")` from Django 5.2.19 with
/// argon2-cffi 25.1 (Django's defaults: m=102400, t=2, p=8).
const DJANGO_ARGON2: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$RXRYRnNFMU5vVVlCWjFwakdaVmNzWQ$X0pqllKKdy9S64tlDw1H9OcyiGT5VMcAhkqvM1Cd9Qs";
/// The password behind both Django hashes.
const DJANGO_PASSWORD: &str = "migrated from django";

async fn create_user(db: &Db, email: &str, name: &str) -> User {
    User::objects()
        .create()
        .email(email)
        .password(PASSWORD)
        .name(name)
        .exec(db)
        .await
        .unwrap_or_else(|err| panic!("create {email}: {err}"))
}

async fn reload(db: &Db, user: &User) -> User {
    User::objects()
        .get(db, User::ID.eq(user.id))
        .await
        .expect("reload the user")
}

/// Overwrites the stored password column, as a data migration from another
/// system would.
async fn store_hash(db: &Db, user: &User, encoded: &str) {
    let changed = User::objects()
        .filter(User::ID.eq(user.id))
        .update(db, User::PASSWORD.set(PasswordHash::from_encoded(encoded)))
        .await
        .expect("overwrite the password column");
    assert_eq!(changed, 1);
}

async fn login(db: &Db, login: &str, password: &str) -> Option<User> {
    authenticate::<User>(db, login, password)
        .await
        .unwrap_or_else(|err| panic!("authenticate {login:?}: {err}"))
}

/// Asserts a PHC string at the current parameters with a 16-byte salt and a
/// 32-byte output (unpadded base64).
fn assert_current_phc(encoded: &str, context: &str) {
    assert!(
        encoded.starts_with(CURRENT_PREFIX),
        "{context}: not a current argon2id PHC string: {encoded}"
    );
    let parts: Vec<&str> = encoded.split('$').collect();
    assert_eq!(parts.len(), 6, "{context}: {encoded}");
    assert_eq!(parts[4].len(), 22, "{context}: 16-byte salt: {encoded}");
    assert_eq!(parts[5].len(), 43, "{context}: 32-byte hash: {encoded}");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_hashes_the_password_and_fills_the_user_fields() {
    on_each_database(async |db, l| {
        let before = Utc::now() - aksara::chrono::Duration::seconds(5);
        let user = create_user(&db, "jane@example.com", "Jane").await;
        assert!(!user.id.is_nil(), "{l}: uuid key generated");
        assert!(
            user.is_active && !user.is_staff && !user.is_superuser && !user.email_verified,
            "{l}: flag defaults"
        );
        assert!(user.created_at > before, "{l}: created_at set");
        assert!(user.last_login.is_none(), "{l}: never logged in");
        assert!(user.avatar_url.is_none() && user.bio.is_none(), "{l}");
        assert!(user.is_authenticated(), "{l}");

        let stored = reload(&db, &user).await;
        let encoded = stored.password.as_encoded();
        assert_current_phc(encoded, l);
        assert!(!encoded.contains(PASSWORD), "{l}: plaintext stored");
        assert_eq!(stored.password, user.password, "{l}: returned = stored");
        assert_eq!(stored.name, "Jane", "{l}");
        assert_eq!(
            format!("{:?}", stored.password),
            "PasswordHash(**redacted**)",
            "{l}"
        );

        // Same password, different salt.
        let other = create_user(&db, "joe@example.com", "Joe").await;
        assert_ne!(
            other.password.as_encoded(),
            encoded,
            "{l}: salts are random"
        );

        assert!(stored.check_password(PASSWORD).await, "{l}");
        assert!(!stored.check_password("securepassword124").await, "{l}");
        assert!(!stored.check_password("").await, "{l}");
        assert!(
            !stored.check_password(encoded).await,
            "{l}: hash as password"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn own_fields_are_validated_with_the_injected_ones() {
    on_each_database(async |db, l| {
        let result = User::objects()
            .create()
            .email("not-an-email")
            .password(PASSWORD)
            .name("x".repeat(101))
            .avatar_url("javascript:alert(1)")
            .exec(&db)
            .await;
        let Err(Error::Validation(errors)) = result else {
            panic!(
                "{l}: expected a validation error, got {:?}",
                result.map(|user| user.id)
            )
        };
        assert_eq!(
            errors.fields().collect::<Vec<_>>(),
            ["avatar_url", "email", "name"],
            "{l}: every bad field at once: {errors}"
        );

        // A missing email or password is refused before any SQL.
        let result = User::objects().create().name("No Email").exec(&db).await;
        let Err(Error::Validation(errors)) = result else {
            panic!("{l}: expected a validation error")
        };
        let fields: Vec<&str> = errors.fields().collect();
        assert!(
            fields.contains(&"email") && fields.contains(&"password"),
            "{l}: {errors}"
        );
        assert_eq!(User::objects().count(&db).await.unwrap(), 0, "{l}");

        let full = User::objects()
            .create()
            .email("full@example.com")
            .password(PASSWORD)
            .name("Full")
            .avatar_url("https://example.com/me.png")
            .bio("Hello")
            .is_staff(true)
            .exec(&db)
            .await
            .expect("valid user");
        let full = reload(&db, &full).await;
        assert_eq!(
            full.avatar_url.as_deref(),
            Some("https://example.com/me.png"),
            "{l}"
        );
        assert_eq!(full.bio.as_deref(), Some("Hello"), "{l}");
        assert!(full.is_staff() && full.is_active(), "{l}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn set_password_then_save() {
    on_each_database(async |db, l| {
        let mut user = create_user(&db, "jane@example.com", "Jane").await;
        let old_hash = user.password.clone();
        user.set_password("a brand new passphrase").await.unwrap();
        assert_ne!(user.password, old_hash, "{l}");
        assert_current_phc(user.password.as_encoded(), l);
        // Not written yet.
        assert!(
            reload(&db, &user).await.check_password(PASSWORD).await,
            "{l}"
        );
        user.save(&db).await.expect("save");

        let stored = reload(&db, &user).await;
        assert!(stored.check_password("a brand new passphrase").await, "{l}");
        assert!(!stored.check_password(PASSWORD).await, "{l}");
        assert!(
            login(&db, "jane@example.com", PASSWORD).await.is_none(),
            "{l}: the old password no longer logs in"
        );
        assert!(
            login(&db, "jane@example.com", "a brand new passphrase")
                .await
                .is_some(),
            "{l}"
        );

        // The `_blocking` forms, off the async runtime.
        let mut user = tokio::task::spawn_blocking(move || {
            user.set_password_blocking("blocking passphrase");
            assert!(user.check_password_blocking("blocking passphrase"));
            assert!(!user.check_password_blocking("a brand new passphrase"));
            user
        })
        .await
        .unwrap();
        user.save(&db).await.expect("save");
        assert!(
            login(&db, "jane@example.com", "blocking passphrase")
                .await
                .is_some(),
            "{l}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unusable_password_never_logs_in() {
    on_each_database(async |db, l| {
        let mut user = create_user(&db, "jane@example.com", "Jane").await;
        user.set_unusable_password();
        assert!(!user.password.is_usable(), "{l}");
        user.save(&db).await.expect("save");
        let stored = reload(&db, &user).await;
        assert!(stored.password.as_encoded().starts_with('!'), "{l}");
        assert!(!stored.check_password(PASSWORD).await, "{l}");
        assert!(!stored.check_password("").await, "{l}");
        assert!(
            login(&db, "jane@example.com", PASSWORD).await.is_none(),
            "{l}"
        );
        assert!(login(&db, "jane@example.com", "").await.is_none(), "{l}");
        assert!(
            login(&db, "jane@example.com", stored.password.as_encoded())
                .await
                .is_none(),
            "{l}: the marker itself is not a password"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn authenticate_outcomes() {
    on_each_database(async |db, l| {
        let jane = create_user(&db, "jane@example.com", "Jane").await;
        let who = login(&db, "jane@example.com", PASSWORD).await;
        assert_eq!(
            who.as_ref().map(|u| u.id),
            Some(jane.id),
            "{l}: right password"
        );
        let who = who.unwrap();
        assert_eq!(who.name, "Jane", "{l}: the whole user is loaded");
        assert!(
            who.last_login.is_none(),
            "{l}: authenticate does not record the login"
        );
        assert!(
            reload(&db, &jane).await.last_login.is_none(),
            "{l}: nor in the database"
        );
        assert!(
            login(&db, "jane@example.com", "securepassword12")
                .await
                .is_none(),
            "{l}: wrong password"
        );
        assert!(
            login(&db, "jane@example.com", "SECUREPASSWORD123")
                .await
                .is_none(),
            "{l}: passwords are case-sensitive"
        );
        assert!(login(&db, "jane@example.com", "").await.is_none(), "{l}");
        assert!(
            login(&db, "nobody@example.com", PASSWORD).await.is_none(),
            "{l}: unknown login"
        );
        assert!(login(&db, "", PASSWORD).await.is_none(), "{l}: empty login");
        assert!(
            login(&db, "jane@example.com' OR '1'='1", PASSWORD)
                .await
                .is_none(),
            "{l}: the login is a parameter"
        );
        assert!(
            login(&db, "jane@%", PASSWORD).await.is_none(),
            "{l}: no LIKE"
        );

        // Inactive: the right password is not enough.
        let changed = User::objects()
            .filter(User::ID.eq(jane.id))
            .update(&db, User::IS_ACTIVE.set(false))
            .await
            .unwrap();
        assert_eq!(changed, 1, "{l}");
        assert!(
            login(&db, "jane@example.com", PASSWORD).await.is_none(),
            "{l}: inactive user"
        );
        let inactive = User::objects()
            .create()
            .email("off@example.com")
            .password(PASSWORD)
            .name("Off")
            .is_active(false)
            .exec(&db)
            .await
            .unwrap();
        assert!(!inactive.is_active(), "{l}");
        assert!(
            login(&db, "off@example.com", PASSWORD).await.is_none(),
            "{l}: created inactive"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn email_is_normalised_and_compared_case_insensitively() {
    on_each_database(async |db, l| {
        let user = create_user(&db, "  Jane.Doe@Example.COM \t", "Jane").await;
        assert_eq!(
            user.email, "Jane.Doe@example.com",
            "{l}: returned normalised"
        );
        assert_eq!(
            reload(&db, &user).await.email,
            "Jane.Doe@example.com",
            "{l}: trimmed, domain lower-cased, local part kept"
        );
        for login_as in [
            "Jane.Doe@example.com",
            "jane.doe@example.com",
            "JANE.DOE@EXAMPLE.COM",
            "  jane.doe@Example.Com\n",
        ] {
            assert_eq!(
                login(&db, login_as, PASSWORD).await.map(|u| u.id),
                Some(user.id),
                "{l}: {login_as:?}"
            );
        }
        assert!(
            login(&db, "jane.doe@example.co", PASSWORD).await.is_none(),
            "{l}: no prefix match"
        );

        // Same address with another case of the domain: a duplicate.
        let result = User::objects()
            .create()
            .email("Jane.Doe@EXAMPLE.com")
            .password(PASSWORD)
            .name("Copy")
            .exec(&db)
            .await;
        let Err(Error::Unique { model, field }) = result else {
            panic!(
                "{l}: expected Error::Unique, got {:?}",
                result.map(|user| user.id)
            )
        };
        assert_eq!((model, field.as_str()), ("User", "email"), "{l}");

        // Normalised on save and on update too.
        let mut user = reload(&db, &user).await;
        user.email = " Jane.Doe@Example.ORG ".into();
        user.save(&db).await.expect("save");
        assert_eq!(
            reload(&db, &user).await.email,
            "Jane.Doe@example.org",
            "{l}"
        );
        User::objects()
            .filter(User::ID.eq(user.id))
            .update(&db, User::EMAIL.set("Jane.Doe@Example.NET"))
            .await
            .unwrap();
        assert_eq!(
            reload(&db, &user).await.email,
            "Jane.Doe@example.net",
            "{l}"
        );
        assert!(
            login(&db, "jane.doe@example.net", PASSWORD).await.is_some(),
            "{l}"
        );

        // Invalid addresses are validation errors, on create and on update.
        for bad in ["not-an-email", "jane@", "@example.com", ""] {
            let result = User::objects()
                .create()
                .email(bad)
                .password(PASSWORD)
                .name("Bad")
                .exec(&db)
                .await;
            let Err(Error::Validation(errors)) = result else {
                panic!("{l}: {bad:?} should be refused")
            };
            assert_eq!(
                errors.fields().collect::<Vec<_>>(),
                ["email"],
                "{l}: {bad:?}"
            );
        }
        let result = User::objects()
            .filter(User::ID.eq(user.id))
            .update(&db, User::EMAIL.set("nope"))
            .await;
        assert!(
            matches!(result, Err(Error::Validation(_))),
            "{l}: {result:?}"
        );
    })
    .await;
}

/// Regression (first-hour issue): `JANE@example.com` and `jane@example.com` could
/// both register, and which one logged in depended on the stored case.
#[tokio::test(flavor = "multi_thread")]
async fn emails_are_unique_regardless_of_case() {
    on_each_database(async |db, l| {
        let jane = create_user(&db, "JANE@example.com", "Jane").await;
        let copy = User::objects()
            .create()
            .email("jane@example.com")
            .password(PASSWORD)
            .name("Copy")
            .exec(&db)
            .await;
        let Err(Error::Unique { model, field }) = copy else {
            panic!("{l}: expected Error::Unique, got {:?}", copy.map(|u| u.id))
        };
        assert_eq!((model, field.as_str()), ("User", "email"), "{l}");
        assert_eq!(
            login(&db, "jane@EXAMPLE.com", PASSWORD).await.map(|u| u.id),
            Some(jane.id),
            "{l}: any case logs the one account in"
        );
        // An update to another user's address in another case is refused too.
        let mut sam = create_user(&db, "sam@example.com", "Sam").await;
        sam.email = "Jane@Example.com".into();
        let saved = sam.save(&db).await;
        assert!(
            matches!(&saved, Err(Error::Unique { field, .. }) if field == "email"),
            "{l}: {saved:?}"
        );

        // A race: eight registrations of one address in different cases at once;
        // the database lets exactly one in.
        let racers = (0..8).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let email: String = "race@example.com"
                    .chars()
                    .enumerate()
                    .map(|(at, ch)| {
                        if (at + i) % 3 == 0 {
                            ch.to_ascii_uppercase()
                        } else {
                            ch
                        }
                    })
                    .collect();
                User::objects()
                    .create()
                    .email(email.as_str())
                    .password(aksara_auth::password::PasswordHash::unusable())
                    .name("Racer")
                    .exec(&db)
                    .await
            })
        });
        let mut created = 0;
        for racer in racers.collect::<Vec<_>>() {
            match racer.await.unwrap() {
                Ok(_) => created += 1,
                Err(Error::Unique { field, .. }) => assert_eq!(field, "email", "{l}"),
                Err(other) => panic!("{l}: {other}"),
            }
        }
        assert_eq!(created, 1, "{l}");

        // The login lookup is an indexed equality on the lower-cased address.
        let plan = User::objects()
            .filter(User::EMAIL.iexact("jane@example.com"))
            .limit(1)
            .explain(&db)
            .await
            .unwrap();
        assert!(plan.contains("users_email_ci_key"), "{l}: {plan}");
    })
    .await;
}

/// A table made before emails were unique regardless of case gains the index at
/// the next `migrate()` (on MySQL, the generated column behind it).
#[tokio::test(flavor = "multi_thread")]
async fn migrate_adds_the_case_insensitive_index_to_an_existing_table() {
    on_each_database(async |db, l| {
        let old_schema = if db.backend() == aksara::Backend::MySql {
            "ALTER TABLE users DROP COLUMN email__lower"
        } else {
            "DROP INDEX users_email_ci_key"
        };
        db.execute_raw(old_schema).await.unwrap();
        create_user(&db, "Kim@example.com", "Kim").await;
        create_user(&db, "kim@example.com", "kim").await;
        let refused = db.migrate().await;
        assert!(
            refused.is_err(),
            "{l}: duplicates that differ in case stop the migration, not pass silently"
        );
        User::objects()
            .filter(User::NAME.eq("kim"))
            .delete(&db)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let copy = User::objects()
            .create()
            .email("KIM@example.com")
            .password(PASSWORD)
            .name("Copy")
            .exec(&db)
            .await;
        assert!(
            matches!(&copy, Err(Error::Unique { field, .. }) if field == "email"),
            "{l}: {:?}",
            copy.map(|u| u.id)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn django_hashes_log_in_and_are_upgraded() {
    on_each_database(async |db, l| {
        for (email, django_hash) in [
            ("pbkdf2@example.com", DJANGO_PBKDF2),
            ("argon2@example.com", DJANGO_ARGON2),
        ] {
            let user = create_user(&db, email, "Django").await;
            store_hash(&db, &user, django_hash).await;

            // A wrong password changes nothing.
            assert!(login(&db, email, PASSWORD).await.is_none(), "{l}: {email}");
            assert_eq!(
                reload(&db, &user).await.password.as_encoded(),
                django_hash,
                "{l}: {email}: not upgraded on failure"
            );
            assert!(
                reload(&db, &user)
                    .await
                    .check_password(DJANGO_PASSWORD)
                    .await,
                "{l}: {email}: check_password accepts Django's format"
            );

            let who = login(&db, email, DJANGO_PASSWORD)
                .await
                .unwrap_or_else(|| panic!("{l}: {email}: Django password logs in"));
            assert_current_phc(who.password.as_encoded(), l);
            let stored = reload(&db, &user).await;
            assert_current_phc(stored.password.as_encoded(), l);
            assert_eq!(stored.password, who.password, "{l}: {email}: saved");
            assert!(stored.check_password(DJANGO_PASSWORD).await, "{l}: {email}");
            // The upgraded hash logs in and stays as it is.
            assert!(login(&db, email, DJANGO_PASSWORD).await.is_some(), "{l}");
            assert_eq!(
                reload(&db, &user).await.password,
                stored.password,
                "{l}: {email}: a current hash is not rewritten"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn weaker_argon2_parameters_are_upgraded() {
    let weak = PasswordHasher::new(Argon2Params {
        memory_kib: 4096,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap();
    let weak_hash = weak.hash_blocking(PASSWORD);
    assert!(
        weak_hash
            .as_encoded()
            .starts_with("$argon2id$v=19$m=4096,t=1,p=1$")
    );
    on_each_database(async |db, l| {
        let user = create_user(&db, "weak@example.com", "Weak").await;
        store_hash(&db, &user, weak_hash.as_encoded()).await;
        assert!(
            login(&db, "weak@example.com", "wrong").await.is_none(),
            "{l}"
        );
        assert_eq!(reload(&db, &user).await.password, weak_hash, "{l}");
        let who = login(&db, "weak@example.com", PASSWORD).await;
        assert!(who.is_some(), "{l}");
        let stored = reload(&db, &user).await;
        assert_current_phc(stored.password.as_encoded(), l);
        assert!(stored.check_password(PASSWORD).await, "{l}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_stored_hashes_do_not_log_in() {
    let malformed = [
        "",
        "garbage",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$",
        "$argon2id$v=19$m=abc,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$k9ohroejZy1PN5E1SbHNPug6vB8eQAahb5SOAp6iGF4",
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$not*base64",
        "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$k9ohroejZy1PN5E1SbHNPug6vB8eQAahb5SOAp6iGF4",
        "$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$k9ohroejZy1PN5E1SbHNPug6vB8eQAahb5SOAp6iGF4",
        "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
        "pbkdf2_sha256$1000$s4ltFromDjango42$",
        "pbkdf2_sha256$0$s4ltFromDjango42$+kvBTg6SWy8/fzBdzW8XhOyJB6Tba4vAYFqPyIFa0/s=",
        "pbkdf2_sha256$1000$s4ltFromDjango42$+kvBTg6SWy8/fzBdzW8XhOyJB6Tba4vAYFqPyIFa0/s",
        "pbkdf2_sha256$1000$s4ltFromDjango42$!!!!",
        "argon2$",
        "argon2$argon2id$v=19$m=102400,t=2,p=8$RXRYRnNFMU5vVVlCWjFwakdaVmNzWQ",
        "md5$salt$5f4dcc3b5aa765d61d8327deb882cf99",
        "!unusable",
        "\u{0}\u{7f}ünïcödé$$$",
    ];
    for test_db in databases().await {
        let (db, l) = (test_db.db.clone(), test_db.label);
        let user = create_user(&db, "broken@example.com", "Broken").await;
        for encoded in malformed {
            // NUL is not storable in PostgreSQL text; the rest go through the column.
            if l == "postgres" && encoded.contains('\u{0}') {
                continue;
            }
            store_hash(&db, &user, encoded).await;
            let result = authenticate::<User>(&db, "broken@example.com", DJANGO_PASSWORD).await;
            assert!(
                matches!(result, Ok(None)),
                "{l}: {encoded:?} gives Ok(None), got {:?}",
                result.map(|user| user.map(|u| u.id))
            );
            let result = authenticate::<User>(&db, "broken@example.com", PASSWORD).await;
            assert!(matches!(result, Ok(None)), "{l}: {encoded:?}");
            let stored = reload(&db, &user).await;
            assert_eq!(stored.password.as_encoded(), encoded, "{l}: left as it was");
            assert!(!stored.check_password(PASSWORD).await, "{l}: {encoded:?}");
            assert!(!stored.check_password("").await, "{l}: {encoded:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn record_login_sets_last_login() {
    on_each_database(async |db, l| {
        let other = create_user(&db, "other@example.com", "Other").await;
        create_user(&db, "jane@example.com", "Jane").await;
        let mut jane = login(&db, "jane@example.com", PASSWORD)
            .await
            .expect("logs in");
        let before = Utc::now();
        record_login(&db, &mut jane).await.expect("record_login");
        let after = Utc::now();
        let in_memory = jane.last_login().expect("set in memory");
        assert!(before <= in_memory && in_memory <= after, "{l}");
        let stored = reload(&db, &jane)
            .await
            .last_login
            .expect("written to the database");
        let drift = (stored - in_memory).num_milliseconds().abs();
        assert!(drift <= 1, "{l}: stored {stored} vs {in_memory}");
        assert!(
            reload(&db, &other).await.last_login.is_none(),
            "{l}: only this user's row"
        );

        // A later login moves it forward.
        let mut again = login(&db, "jane@example.com", PASSWORD).await.unwrap();
        assert_eq!(
            again.last_login().map(|t| t.timestamp()),
            Some(stored.timestamp()),
            "{l}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        record_login(&db, &mut again).await.unwrap();
        let later = reload(&db, &again).await.last_login.unwrap();
        assert!(later > stored, "{l}: {later} > {stored}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_password_reports_every_failure() {
    on_each_database(async |db, l| {
        let user = User::objects()
            .create()
            .email("bartholomew.q@example.com")
            .password(PASSWORD)
            .name("Maximiliane")
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(
            validate_password("bartholomew.q", Some(&user))
                .map_err(|invalid| invalid.messages().to_vec()),
            Err(vec!["The password is too similar to the email.".to_owned()]),
            "{l}"
        );
        assert_eq!(
            validate_password("Maximiliane1", Some(&user))
                .map_err(|invalid| invalid.messages().to_vec()),
            Err(vec!["The password is too similar to the name.".to_owned()]),
            "{l}"
        );
        // Without the user, only the user-independent rules apply.
        assert_eq!(
            validate_password::<User>("Maximiliane1", None),
            Ok(()),
            "{l}"
        );
        assert_eq!(
            validate_password("correct horse battery staple", Some(&user)),
            Ok(()),
            "{l}"
        );

        let numeric = User::objects()
            .create()
            .email("q@example.com")
            .password(PASSWORD)
            .name("1234567")
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(
            validate_password("1234567", Some(&numeric))
                .map_err(|invalid| invalid.messages().to_vec()),
            Err(vec![
                "The password is too similar to the name.".to_owned(),
                "This password is too short. It must contain at least 8 characters.".to_owned(),
                "This password is too common.".to_owned(),
                "This password is entirely numeric.".to_owned(),
            ]),
            "{l}: every failure, in validator order"
        );
        assert_eq!(
            validate_password("Password", Some(&numeric))
                .map_err(|invalid| invalid.messages().to_vec()),
            Err(vec!["This password is too common.".to_owned()]),
            "{l}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_custom_model_fills_the_user_slot() {
    let meta = aksara_auth::user_model().expect("one user model");
    assert!(std::ptr::eq(meta, <User as Model>::META));
    assert_eq!((meta.name, meta.table), ("User", "users"));
    assert_eq!(
        aksara::registered_models()
            .map(|meta| meta.table)
            .filter(|table| *table == "users" || *table == "auth_users")
            .collect::<Vec<_>>(),
        ["users"],
        "the built-in model is replaced"
    );
    on_each_database(async |db, l| {
        let schema = db.schema_sql().expect("schema").join("\n");
        assert!(schema.contains("users"), "{l}: {schema}");
        assert!(!schema.contains("auth_users"), "{l}: {schema}");
        assert!(
            db.execute_raw("SELECT COUNT(*) FROM auth_users")
                .await
                .is_err(),
            "{l}: the built-in table was not created"
        );
        assert!(
            db.execute_raw("SELECT COUNT(*) FROM users").await.is_ok(),
            "{l}: the custom table was"
        );
        // Migrating again changes nothing.
        db.migrate().await.expect("idempotent");
        assert!(
            db.execute_raw("SELECT COUNT(*) FROM auth_users")
                .await
                .is_err(),
            "{l}"
        );
    })
    .await;
}

// That an unknown login runs the dummy verification is checked
// deterministically, by counting the hasher's derivations per path, in
// `tests/login_timing.rs` (alone in its binary, so no other test's hashes
// reach the count).

/// An API key as an application declares it: a `Clone` model pointing at the
/// user model, which is `Clone` and `Debug` without writing the derives.
#[derive(Model, Clone, Debug)]
#[model(table = "api_keys")]
pub struct ApiKey {
    /// Key.
    #[field(primary_key)]
    pub id: i64,
    /// The secret the client sends.
    #[field(unique, max_length = 64)]
    pub key: String,
    /// Whose key it is.
    #[field(on_delete = "cascade")]
    pub user: ForeignKey<User>,
}

#[tokio::test]
async fn a_user_model_is_clone_and_debug_and_a_foreign_key_gives_it_by_value() {
    for test_db in databases().await {
        let db = &test_db.db;
        let user = create_user(db, "keyholder@example.com", "Key Holder").await;
        ApiKey::objects()
            .create()
            .key("k-123")
            .user(&user)
            .exec(db)
            .await
            .expect("create the key");
        let key = ApiKey::objects()
            .select_related(ApiKey::USER)
            .get(db, ApiKey::KEY.eq("k-123"))
            .await
            .expect("load the key with its user");
        let copy = key.clone();
        let shown = format!(
            "{:?}",
            copy.user.get().expect("the clone keeps the loaded user")
        );
        assert!(shown.contains("keyholder@example.com"), "{shown}");
        assert!(!shown.contains("argon2"), "the hash is redacted: {shown}");
        let owner: User = key
            .user
            .into_inner()
            .expect("select_related loaded the user");
        assert_eq!(owner.id, user.id);
        assert!(owner.check_password(PASSWORD).await);
    }
}

#[test]
fn the_built_in_user_in_an_app_with_its_own_model_fails_when_the_app_is_built() {
    let built = std::panic::catch_unwind(|| {
        axum::Router::<()>::new()
            .route("/", axum::routing::get(|| async { "hi" }))
            .layer(
                AuthenticationLayer::<aksara_auth::User>::new().with(SessionAuthentication::new()),
            )
    });
    let payload = built.expect_err("building the router must fail");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("aksara_auth::User"), "{message}");
    assert!(message.contains("`User` (table `users`"), "{message}");

    // The application's own model builds.
    let _ = axum::Router::<()>::new()
        .route("/", axum::routing::get(|| async { "hi" }))
        .layer(AuthenticationLayer::<User>::new().with(SessionAuthentication::new()));
}

#[tokio::test]
async fn authenticate_with_the_built_in_user_in_an_app_with_its_own_model_is_an_error() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    let error = authenticate::<aksara_auth::User>(&db, "jane@example.com", PASSWORD)
        .await
        .expect_err("the wrong model is an error, not a missing table");
    let message = error.to_string();
    assert!(
        message.contains("aksara_auth::User") && message.contains("table `users`"),
        "{message}"
    );
}
