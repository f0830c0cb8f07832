//! Password-reset and email-verification tokens on every configured backend: a
//! key is accepted once (of 20 concurrent uses, exactly one), for its own
//! purpose, before its expiry, while its user exists, is active and keeps the
//! password and email it had at issue, and, for a verification, while the email
//! is unverified; every refusal is the one `InvalidToken`. The table holds only
//! the key's digest.

use std::time::Duration;

use aksara::chrono;

use aksara_auth::User;
use aksara_auth::one_time::{ConsumeError, OneTimeKey, OneTimeToken, Purpose};
use aksara_auth::prelude::*;
use aksara_auth::token::TokenSettings;
use aksara_tests::{capture_logs, captured_logs, create_user, jane, on_each_database};

const HOUR: Duration = Duration::from_secs(3600);

async fn issue(db: &Db, user: &User, purpose: Purpose) -> OneTimeKey {
    OneTimeToken::issue(db, user, purpose, HOUR).await.unwrap()
}

async fn consume(db: &Db, purpose: Purpose, key: &str) -> Result<User, ConsumeError> {
    OneTimeToken::consume::<User>(db, purpose, key).await
}

#[track_caller]
fn assert_invalid(label: &str, what: &str, result: Result<User, ConsumeError>) {
    assert!(
        matches!(result, Err(ConsumeError::InvalidToken)),
        "{label}: {what}: expected InvalidToken, got {result:?}"
    );
}

/// SHA-256 of a key in unpadded base64url, as the table stores it.
fn digest(key: &OneTimeKey) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(key.as_str()))
}

async fn rows(db: &Db) -> Vec<OneTimeToken> {
    OneTimeToken::objects().all(db).await.unwrap()
}

#[tokio::test]
async fn a_key_is_accepted_once_for_its_purpose() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        for purpose in [Purpose::PasswordReset, Purpose::EmailVerification] {
            let key = issue(&db, &user, purpose).await;
            let who = consume(&db, purpose, key.as_str()).await.unwrap();
            assert_eq!(who.id, user.id, "{label}");
            assert_invalid(
                label,
                "second use",
                consume(&db, purpose, key.as_str()).await,
            );
        }
        assert!(rows(&db).await.is_empty(), "{label}: used rows are gone");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_twenty_concurrent_uses_of_one_key_exactly_one_succeeds() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        for round in 0..3 {
            let key = issue(&db, &user, Purpose::PasswordReset).await;
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let db = db.clone();
                    let key = key.as_str().to_owned();
                    tokio::spawn(async move { consume(&db, Purpose::PasswordReset, &key).await })
                })
                .collect();
            let mut accepted = 0;
            for task in tasks {
                match task.await.unwrap() {
                    Ok(who) => {
                        assert_eq!(who.id, user.id, "{label}");
                        accepted += 1;
                    }
                    Err(ConsumeError::InvalidToken) => {}
                    Err(other) => panic!("{label}: round {round}: {other}"),
                }
            }
            assert_eq!(accepted, 1, "{label}: round {round}");
        }
    })
    .await;
}

#[tokio::test]
async fn tampered_malformed_and_unknown_keys_are_refused() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let key = issue(&db, &user, Purpose::PasswordReset).await;
        let text = key.as_str();
        for at in [0, 21, 42] {
            let original = text.as_bytes()[at];
            let other = if original == b'A' { 'B' } else { 'A' };
            let tampered = format!("{}{other}{}", &text[..at], &text[at + 1..]);
            assert_invalid(
                label,
                "one character changed",
                consume(&db, Purpose::PasswordReset, &tampered).await,
            );
        }
        let johns = issue(
            &db,
            &create_user(&db, "john@example.com").await,
            Purpose::PasswordReset,
        )
        .await;
        let cases = [
            // Well-formed, never issued.
            "A".repeat(43),
            String::new(),
            text[..42].to_owned(),
            format!("{text}A"),
            format!("{} ", &text[..42]),
            format!("{}=", &text[..42]),
            text.to_uppercase(),
        ];
        for case in &cases {
            assert_invalid(
                label,
                &format!("malformed or unknown {case:?}"),
                consume(&db, Purpose::PasswordReset, case).await,
            );
        }
        // The untouched keys still work.
        assert!(
            consume(&db, Purpose::PasswordReset, text).await.is_ok(),
            "{label}"
        );
        assert!(
            consume(&db, Purpose::PasswordReset, johns.as_str())
                .await
                .is_ok(),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_key_for_the_other_purpose_is_refused_and_kept() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let reset = issue(&db, &user, Purpose::PasswordReset).await;
        let verify = issue(&db, &user, Purpose::EmailVerification).await;
        assert_invalid(
            label,
            "reset key to verify",
            consume(&db, Purpose::EmailVerification, reset.as_str()).await,
        );
        assert_invalid(
            label,
            "verify key to reset",
            consume(&db, Purpose::PasswordReset, verify.as_str()).await,
        );
        assert!(
            consume(&db, Purpose::PasswordReset, reset.as_str())
                .await
                .is_ok(),
            "{label}"
        );
        assert!(
            consume(&db, Purpose::EmailVerification, verify.as_str())
                .await
                .is_ok(),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        // A tiny lifetime, then a wait.
        let short = OneTimeToken::issue(
            &db,
            &user,
            Purpose::PasswordReset,
            Duration::from_millis(20),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_invalid(
            label,
            "past a tiny ttl",
            consume(&db, Purpose::PasswordReset, short.as_str()).await,
        );
        // An expiry moved into the past through the ORM.
        let key = issue(&db, &user, Purpose::EmailVerification).await;
        OneTimeToken::objects()
            .update(
                &db,
                OneTimeToken::EXPIRES_AT.set(chrono::Utc::now() - chrono::Duration::seconds(1)),
            )
            .await
            .unwrap();
        assert_invalid(
            label,
            "expiry in the past",
            consume(&db, Purpose::EmailVerification, key.as_str()).await,
        );
        assert!(
            rows(&db).await.is_empty(),
            "{label}: an expired key presented is deleted"
        );
    })
    .await;
}

#[tokio::test]
async fn a_new_password_or_email_ends_the_keys_issued_before() {
    on_each_database(async |db, label| {
        let mut user = jane(&db).await;
        for purpose in [Purpose::PasswordReset, Purpose::EmailVerification] {
            let key = issue(&db, &user, purpose).await;
            user.set_password("a brand new passphrase").await.unwrap();
            user.save(&db).await.unwrap();
            assert_invalid(
                label,
                "password changed",
                consume(&db, purpose, key.as_str()).await,
            );

            let key = issue(&db, &user, purpose).await;
            User::objects()
                .filter(User::ID.eq(user.id))
                .update(
                    &db,
                    User::EMAIL.set(format!("jane.{}@example.net", purpose.as_str())),
                )
                .await
                .unwrap();
            assert_invalid(
                label,
                "email changed",
                consume(&db, purpose, key.as_str()).await,
            );
            user = User::objects()
                .get(&db, User::ID.eq(user.id))
                .await
                .unwrap();

            // A key issued under the current ones works.
            let key = issue(&db, &user, purpose).await;
            assert!(
                consume(&db, purpose, key.as_str()).await.is_ok(),
                "{label}: {purpose}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_verification_key_is_refused_once_the_email_is_verified() {
    on_each_database(async |db, label| {
        let mut user = jane(&db).await;
        let verify = issue(&db, &user, Purpose::EmailVerification).await;
        let reset = issue(&db, &user, Purpose::PasswordReset).await;
        user.email_verified = true;
        user.save(&db).await.unwrap();
        assert_invalid(
            label,
            "already verified",
            consume(&db, Purpose::EmailVerification, verify.as_str()).await,
        );
        // A reset does not care.
        assert!(
            consume(&db, Purpose::PasswordReset, reset.as_str())
                .await
                .is_ok(),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn keys_of_an_inactive_or_deleted_user_are_refused() {
    on_each_database(async |db, label| {
        let mut user = jane(&db).await;
        let key = issue(&db, &user, Purpose::PasswordReset).await;
        user.is_active = false;
        user.save(&db).await.unwrap();
        assert_invalid(
            label,
            "inactive user",
            consume(&db, Purpose::PasswordReset, key.as_str()).await,
        );

        let john = create_user(&db, "john@example.com").await;
        let key = issue(&db, &john, Purpose::EmailVerification).await;
        User::objects()
            .filter(User::ID.eq(john.id))
            .delete(&db)
            .await
            .unwrap();
        assert_invalid(
            label,
            "deleted user",
            consume(&db, Purpose::EmailVerification, key.as_str()).await,
        );
    })
    .await;
}

#[tokio::test]
async fn the_table_holds_no_key_in_clear() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let key = issue(&db, &user, Purpose::PasswordReset).await;
        let stored = rows(&db).await;
        assert_eq!(stored.len(), 1, "{label}");
        let row = &stored[0];
        assert_eq!(row.user_id.0, user.id, "{label}");
        assert_eq!(row.purpose, "password_reset", "{label}");
        assert_eq!(
            row.expires_at.timestamp(),
            key.expires_at().timestamp(),
            "{label}"
        );
        let columns: Vec<String> = aksara::Model::to_values(row)
            .iter()
            .map(|value| format!("{value:?}"))
            .collect();
        for text in &columns {
            assert!(
                !text.contains(key.as_str()),
                "{label}: the key is in a column: {text}"
            );
        }
        // What is stored is the key's SHA-256.
        assert!(
            columns.iter().any(|text| text.contains(&digest(&key))),
            "{label}: no column holds the digest: {columns:?}"
        );
        let debug = format!("{row:?} {key:?}");
        assert!(!debug.contains(key.as_str()), "{label}: {debug}");
    })
    .await;
}

#[tokio::test]
async fn revoke_all_ends_a_users_keys_of_one_purpose() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let john = create_user(&db, "john@example.com").await;
        let first = issue(&db, &user, Purpose::PasswordReset).await;
        let second = issue(&db, &user, Purpose::PasswordReset).await;
        let verify = issue(&db, &user, Purpose::EmailVerification).await;
        let johns = issue(&db, &john, Purpose::PasswordReset).await;
        assert_eq!(
            OneTimeToken::revoke_all(&db, &user, Purpose::PasswordReset)
                .await
                .unwrap(),
            2,
            "{label}"
        );
        assert_invalid(
            label,
            "revoked",
            consume(&db, Purpose::PasswordReset, first.as_str()).await,
        );
        assert_invalid(
            label,
            "revoked",
            consume(&db, Purpose::PasswordReset, second.as_str()).await,
        );
        assert!(
            consume(&db, Purpose::EmailVerification, verify.as_str())
                .await
                .is_ok(),
            "{label}"
        );
        assert!(
            consume(&db, Purpose::PasswordReset, johns.as_str())
                .await
                .is_ok(),
            "{label}"
        );
        assert_eq!(
            OneTimeToken::revoke_all(&db, &user, Purpose::PasswordReset)
                .await
                .unwrap(),
            0,
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn purge_expired_deletes_only_expired_rows() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let old = issue(&db, &user, Purpose::PasswordReset).await;
        let live = issue(&db, &user, Purpose::PasswordReset).await;
        let first_id = rows(&db).await.iter().map(|row| row.id).min().unwrap();
        OneTimeToken::objects()
            .filter(OneTimeToken::ID.eq(first_id))
            .update(
                &db,
                OneTimeToken::EXPIRES_AT.set(chrono::Utc::now() - chrono::Duration::minutes(1)),
            )
            .await
            .unwrap();
        assert_eq!(
            OneTimeToken::purge_expired(&db).await.unwrap(),
            1,
            "{label}"
        );
        assert_eq!(
            OneTimeToken::purge_expired(&db).await.unwrap(),
            0,
            "{label}"
        );
        assert_eq!(rows(&db).await.len(), 1, "{label}");
        assert_invalid(
            label,
            "purged",
            consume(&db, Purpose::PasswordReset, old.as_str()).await,
        );
        assert!(
            consume(&db, Purpose::PasswordReset, live.as_str())
                .await
                .is_ok(),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn keys_are_256_random_bits_in_url_safe_text() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            let key = issue(&db, &user, Purpose::EmailVerification).await;
            let text = key.as_str();
            assert_eq!(
                text.len(),
                43,
                "{label}: 43 base64url characters = 258 bits ≥ 256"
            );
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{label}: {text} needs no percent-encoding"
            );
            assert!(seen.insert(text.to_owned()), "{label}: a key repeated");
        }
        // Every position varies across keys: no fixed marker or counter.
        let keys: Vec<&String> = seen.iter().collect();
        for at in 0..42 {
            let distinct: std::collections::HashSet<u8> =
                keys.iter().map(|k| k.as_bytes()[at]).collect();
            assert!(distinct.len() > 5, "{label}: position {at} barely varies");
        }
    })
    .await;
}

#[test]
fn the_link_lifetimes_read_from_settings_and_are_checked() {
    let load = |toml: &str, env: &[(&str, &str)]| {
        aksara::Settings::from_sources(Some(toml), env.iter().copied())
    };
    let tokens: TokenSettings = load("debug = true", &[]).unwrap().section().unwrap();
    assert_eq!(tokens.password_reset_ttl, HOUR);
    assert_eq!(
        tokens.email_verification_ttl,
        Duration::from_secs(3 * 86_400)
    );
    assert_eq!(tokens, TokenSettings::default());

    let file =
        "debug = true\n[tokens]\npassword_reset_ttl = \"30m\"\nemail_verification_ttl = \"2d\"\n";
    let tokens: TokenSettings = load(file, &[]).unwrap().section().unwrap();
    assert_eq!(tokens.password_reset_ttl, Duration::from_secs(1800));
    assert_eq!(
        tokens.email_verification_ttl,
        Duration::from_secs(2 * 86_400)
    );

    let env = [
        ("AKSARA_TOKENS_PASSWORD_RESET_TTL", "15m"),
        ("AKSARA_TOKENS_EMAIL_VERIFICATION_TTL", "86400"),
    ];
    let tokens: TokenSettings = load(file, &env).unwrap().section().unwrap();
    assert_eq!(tokens.password_reset_ttl, Duration::from_secs(900));
    assert_eq!(tokens.email_verification_ttl, Duration::from_secs(86_400));

    let refused = [
        (
            "password_reset_ttl = \"0s\"",
            "tokens.password_reset_ttl",
            "greater than zero",
        ),
        (
            "email_verification_ttl = 0",
            "tokens.email_verification_ttl",
            "greater than zero",
        ),
        (
            "password_reset_ttl = \"8d\"",
            "tokens.password_reset_ttl",
            "at most 7 days",
        ),
        (
            "email_verification_ttl = \"31d\"",
            "tokens.email_verification_ttl",
            "at most 30 days",
        ),
        (
            "password_reset_ttl = \"soon\"",
            "tokens.password_reset_ttl",
            "duration",
        ),
    ];
    for (line, key, message) in refused {
        let err = load(&format!("debug = true\n[tokens]\n{line}\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(key) && err.contains(message), "{line}: {err}");
    }
    let err = load("debug = true", &[("AKSARA_TOKENS_PASSWORD_RESET_TTL", "0")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("AKSARA_TOKENS_PASSWORD_RESET_TTL"), "{err}");
    // The longest accepted.
    let tokens: TokenSettings = load(
        "debug = true\n[tokens]\npassword_reset_ttl = \"7d\"\nemail_verification_ttl = \"30d\"\n",
        &[],
    )
    .unwrap()
    .section()
    .unwrap();
    assert_eq!(tokens.password_reset_ttl, Duration::from_secs(7 * 86_400));
}

#[tokio::test]
async fn a_refusal_is_logged_with_its_reason_and_no_key_or_digest() {
    on_each_database(async |db, label| {
        let user = jane(&db).await;
        let key = issue(&db, &user, Purpose::PasswordReset).await;
        capture_logs();
        assert_invalid(
            label,
            "other purpose",
            consume(&db, Purpose::EmailVerification, key.as_str()).await,
        );
        let refused = captured_logs();
        assert!(
            refused.contains("one-time token refused")
                && refused.contains("issued for another purpose"),
            "{label}: {refused}"
        );
        capture_logs();
        let again = issue(&db, &user, Purpose::PasswordReset).await;
        consume(&db, Purpose::PasswordReset, again.as_str())
            .await
            .unwrap();
        let logs = format!("{refused}{}", captured_logs());
        assert!(
            logs.contains("one-time token issued") && logs.contains("one-time token consumed"),
            "{label}: {logs}"
        );
        for (what, secret) in [("key", key.as_str()), ("key", again.as_str())] {
            assert!(
                !logs.contains(secret),
                "{label}: the {what} is logged: {logs}"
            );
        }
        for secret in [&key, &again] {
            assert!(
                !logs.contains(&digest(secret)),
                "{label}: a digest is logged: {logs}"
            );
        }
    })
    .await;
}
