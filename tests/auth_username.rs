//! `#[auth_user(login_field = "username")]`: a unique `username` is added and
//! users log in by it (exactly, as Django does), not by their email.
//!
//! This binary holds exactly one `#[auth_user]` model: a second one would claim
//! the same slot and make `migrate()` fail.

use aksara::Error;
use aksara_auth::prelude::*;
use aksara_tests::on_each_database;

/// A user model that logs in by username.
#[auth_user(login_field = "username")]
#[model(table = "members")]
pub struct Member {
    /// Display name.
    #[field(max_length = 100)]
    pub name: String,
}

const PASSWORD: &str = "securepassword123";

async fn create_member(db: &Db, username: &str, email: &str) -> Member {
    Member::objects()
        .create()
        .username(username)
        .email(email)
        .password(PASSWORD)
        .name("Jane")
        .exec(db)
        .await
        .unwrap_or_else(|err| panic!("create {username}: {err}"))
}

async fn login(db: &Db, login: &str, password: &str) -> Option<Member> {
    authenticate::<Member>(db, login, password)
        .await
        .unwrap_or_else(|err| panic!("authenticate {login:?}: {err}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_in_by_username_not_by_email() {
    const { assert!(!Member::LOGIN_IS_EMAIL) };
    on_each_database(async |db, l| {
        let jane = create_member(&db, "jdoe", "Jane@Example.com").await;
        assert_eq!(jane.login(), "jdoe", "{l}");
        assert_eq!(
            jane.email, "Jane@example.com",
            "{l}: email still normalised"
        );
        assert_eq!(
            login(&db, "jdoe", PASSWORD).await.map(|m| m.id),
            Some(jane.id),
            "{l}: by username"
        );
        assert_eq!(
            login(&db, "  jdoe ", PASSWORD).await.map(|m| m.id),
            Some(jane.id),
            "{l}: surrounding whitespace is trimmed"
        );
        for not_a_login in [
            "Jane@example.com",
            "jane@example.com",
            "JDOE",
            "Jdoe",
            "jdo",
        ] {
            assert!(
                login(&db, not_a_login, PASSWORD).await.is_none(),
                "{l}: {not_a_login:?} does not log in"
            );
        }
        assert!(login(&db, "jdoe", "wrong password").await.is_none(), "{l}");
        assert!(login(&db, "nobody", PASSWORD).await.is_none(), "{l}");

        // Inactive members do not log in.
        Member::objects()
            .filter(Member::ID.eq(jane.id))
            .update(&db, Member::IS_ACTIVE.set(false))
            .await
            .unwrap();
        assert!(
            login(&db, "jdoe", PASSWORD).await.is_none(),
            "{l}: inactive"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn usernames_are_case_sensitive_and_unique() {
    on_each_database(async |db, l| {
        let lower = create_member(&db, "sam", "sam@example.com").await;
        // Another case is another username, as in Django.
        let upper = create_member(&db, "Sam", "sam2@example.com").await;
        assert_eq!(
            login(&db, "sam", PASSWORD).await.map(|m| m.id),
            Some(lower.id),
            "{l}"
        );
        assert_eq!(
            login(&db, "Sam", PASSWORD).await.map(|m| m.id),
            Some(upper.id),
            "{l}"
        );
        assert!(login(&db, "SAM", PASSWORD).await.is_none(), "{l}");

        let result = Member::objects()
            .create()
            .username("sam")
            .email("sam3@example.com")
            .password(PASSWORD)
            .name("Copy")
            .exec(&db)
            .await;
        let Err(Error::Unique { model, field }) = result else {
            panic!(
                "{l}: expected Error::Unique, got {:?}",
                result.map(|m| m.id)
            )
        };
        assert_eq!((model, field.as_str()), ("Member", "username"), "{l}");

        // The email stays unique too.
        let result = Member::objects()
            .create()
            .username("sam4")
            .email("sam@EXAMPLE.com")
            .password(PASSWORD)
            .name("Copy")
            .exec(&db)
            .await;
        let Err(Error::Unique { model, field }) = result else {
            panic!(
                "{l}: expected Error::Unique, got {:?}",
                result.map(|m| m.id)
            )
        };
        assert_eq!((model, field.as_str()), ("Member", "email"), "{l}");
        assert_eq!(Member::objects().count(&db).await.unwrap(), 2, "{l}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn username_is_required_and_bounded() {
    on_each_database(async |db, l| {
        let result = Member::objects()
            .create()
            .email("jane@example.com")
            .password(PASSWORD)
            .name("Jane")
            .exec(&db)
            .await;
        let Err(Error::Validation(errors)) = result else {
            panic!("{l}: a username is required")
        };
        assert_eq!(errors.fields().collect::<Vec<_>>(), ["username"], "{l}");

        let result = Member::objects()
            .create()
            .username("x".repeat(151))
            .email("jane@example.com")
            .password(PASSWORD)
            .name("Jane")
            .exec(&db)
            .await;
        let Err(Error::Validation(errors)) = result else {
            panic!("{l}: at most 150 characters")
        };
        assert_eq!(errors.fields().collect::<Vec<_>>(), ["username"], "{l}");
        assert!(
            create_member(&db, &"x".repeat(150), "jane@example.com")
                .await
                .is_active,
            "{l}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn username_counts_for_similarity_and_the_slot() {
    let meta = aksara_auth::user_model().expect("one user model");
    assert!(std::ptr::eq(meta, <Member as Model>::META));
    assert_eq!(meta.table, "members");
    on_each_database(async |db, l| {
        let member = create_member(&db, "margaret", "m@example.com").await;
        assert_eq!(
            validate_password("Margaret1", Some(&member))
                .map_err(|invalid| invalid.messages().to_vec()),
            Err(vec![
                "The password is too similar to the username.".to_owned(),
                "This password is too common.".to_owned(),
            ]),
            "{l}"
        );
        assert!(
            db.execute_raw("SELECT COUNT(*) FROM auth_users")
                .await
                .is_err(),
            "{l}: the built-in table was not created"
        );
        let mut member = login(&db, "margaret", PASSWORD).await.expect("logs in");
        record_login(&db, &mut member).await.unwrap();
        let stored = Member::objects()
            .get(&db, Member::USERNAME.eq("margaret"))
            .await
            .unwrap();
        assert!(stored.last_login.is_some(), "{l}");
    })
    .await;
}
