//! The built-in `aksara_auth::User`, for applications without a user model of
//! their own: it fills the `"auth.user"` slot, `migrate()` creates its
//! `auth_users` table, and it works end to end.
//!
//! This binary declares no `#[auth_user]` model.

use aksara::Error;
use aksara_auth::User;
use aksara_auth::prelude::*;
use aksara_tests::on_each_database;

const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread")]
async fn the_builtin_model_fills_the_slot_and_is_migrated() {
    let meta = aksara_auth::user_model().expect("the built-in model");
    assert!(std::ptr::eq(meta, <User as Model>::META));
    assert_eq!((meta.name, meta.table), ("User", "auth_users"));
    assert!(aksara::registered_models().any(|meta| meta.table == "auth_users"));
    on_each_database(async |db, l| {
        assert!(
            db.schema_sql()
                .expect("schema")
                .join("\n")
                .contains("auth_users"),
            "{l}"
        );
        assert!(
            db.execute_raw("SELECT COUNT(*) FROM auth_users")
                .await
                .is_ok(),
            "{l}: the table exists"
        );
        assert_eq!(User::objects().count(&db).await.unwrap(), 0, "{l}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn builtin_user_end_to_end() {
    on_each_database(async |db, l| {
        let user = User::objects()
            .create()
            .email(" Jane@Example.COM")
            .password(PASSWORD)
            .exec(&db)
            .await
            .expect("create");
        assert_eq!(user.email, "Jane@example.com", "{l}");
        assert!(
            user.password
                .as_encoded()
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{l}"
        );
        let debug = format!("{user:?}");
        assert!(debug.contains("**redacted**"), "{l}: {debug}");
        assert!(!debug.contains("argon2"), "{l}: no hash in Debug: {debug}");
        assert!(!debug.contains(PASSWORD), "{l}");

        let mut jane = authenticate::<User>(&db, "jane@example.com", PASSWORD)
            .await
            .unwrap()
            .expect("logs in");
        assert_eq!(jane.id, user.id, "{l}");
        assert!(
            authenticate::<User>(&db, "jane@example.com", "wrong")
                .await
                .unwrap()
                .is_none(),
            "{l}"
        );
        assert!(
            authenticate::<User>(&db, "john@example.com", PASSWORD)
                .await
                .unwrap()
                .is_none(),
            "{l}"
        );

        record_login(&db, &mut jane).await.unwrap();
        let stored = User::objects()
            .get(&db, User::ID.eq(jane.id))
            .await
            .unwrap();
        assert!(stored.last_login.is_some(), "{l}");

        // Change the password: the old one stops working.
        let mut stored = stored;
        stored.set_password("battery staple horse").await.unwrap();
        stored.save(&db).await.unwrap();
        assert!(
            authenticate::<User>(&db, "jane@example.com", PASSWORD)
                .await
                .unwrap()
                .is_none(),
            "{l}"
        );
        assert!(
            authenticate::<User>(&db, "jane@example.com", "battery staple horse")
                .await
                .unwrap()
                .is_some(),
            "{l}"
        );

        // Staff and superuser flags; an inactive account does not log in.
        let admin = User::objects()
            .create()
            .email("admin@example.com")
            .password(PASSWORD)
            .is_staff(true)
            .is_superuser(true)
            .is_active(false)
            .exec(&db)
            .await
            .unwrap();
        assert!(
            admin.is_staff() && admin.is_superuser() && !admin.is_active(),
            "{l}"
        );
        assert!(
            authenticate::<User>(&db, "admin@example.com", PASSWORD)
                .await
                .unwrap()
                .is_none(),
            "{l}: inactive"
        );

        let result = User::objects()
            .create()
            .email("Jane@EXAMPLE.com")
            .password(PASSWORD)
            .exec(&db)
            .await;
        let Err(Error::Unique { model, field }) = result else {
            panic!("{l}: expected Error::Unique, got {result:?}")
        };
        assert_eq!((model, field.as_str()), ("User", "email"), "{l}");

        // The built-in model has no name: only the email counts for similarity.
        assert_eq!(
            validate_password("jane.example", Some(&jane))
                .map_err(|invalid| invalid.messages().to_vec()),
            Err(vec!["The password is too similar to the email.".to_owned()]),
            "{l}"
        );
    })
    .await;
}
