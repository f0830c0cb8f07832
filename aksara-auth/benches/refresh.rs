//! `POST /refresh`-shaped work (issue 15): verify a refresh token, rotate it
//! (mark it used and record its successor, in one transaction) and issue a new
//! access and refresh token — `Jwt::refresh` against the same work written by
//! hand with `jsonwebtoken` and sqlx, on one SQLite file, measured in one run.
//!
//! The hand-written side runs the statements `Jwt::refresh` runs — the user by
//! id, then `BEGIN`, the conditional `UPDATE` of the token's row, the read of its
//! family, the `INSERT` of the successor, `COMMIT` — with `jsonwebtoken::decode`
//! and two `jsonwebtoken::encode`s, and checks the password digest the same way.
//! Each side refreshes its own chain of tokens; rounds alternate between them and
//! the median refreshes/s of each is printed with the ratio. Bar: ≥ 0.8×.
//!
//! Run: `cargo bench -p aksara-auth --bench refresh` (`AKSARA_BENCH_ROUNDS`,
//! default 7; `AKSARA_BENCH_REFRESHES` per round, default 1500).

use std::time::Instant;

use aksara_auth::User;
use aksara_auth::jwt::{Jwt, JwtAlgorithm};
use aksara_auth::prelude::*;
use base64::Engine as _;
use chrono::Utc;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use sha2::Digest as _;
use sqlx::Row as _;

const SECRET: &[u8] = b"refresh benchmark secret, thirty-two bytes or more";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The hand-written side: its pool and keys.
struct Raw {
    pool: sqlx::SqlitePool,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

/// 128 random bits, hex, as a `jti`.
fn jti() -> String {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `ver` claim as `Jwt` computes it: a digest of the password hash.
fn version(password_hash: &str) -> String {
    let mut digest = sha2::Sha256::new();
    digest.update(b"aksara_auth.jwt_version\0");
    digest.update(password_hash.as_bytes());
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest.finalize())
}

impl Raw {
    fn sign(&self, user: &Value, token_type: &str, ttl: u64) -> (String, String, i64) {
        let now = Utc::now().timestamp();
        let id = jti();
        let exp = now + i64::try_from(ttl).unwrap();
        let claims = json!({
            "sub": user["id"], "email": user["email"], "exp": exp, "iat": now,
            "jti": id, "token_type": token_type, "ver": user["ver"],
        });
        let token = jsonwebtoken::encode(&Header::default(), &claims, &self.encoding).unwrap();
        (token, id, exp)
    }

    /// One refresh: `Some(new refresh token)`, or `None` when refused.
    async fn refresh(&self, token: &str) -> Option<String> {
        let claims = jsonwebtoken::decode::<Value>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        if claims["token_type"] != "refresh" {
            return None;
        }
        let id: uuid::Uuid = claims["sub"].as_str()?.parse().ok()?;
        let row = sqlx::query("SELECT email, password, is_active FROM auth_users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .unwrap()?;
        let password: String = row.get("password");
        let user = json!({
            "id": id.to_string(), "email": row.get::<String, _>("email"), "ver": version(&password),
        });
        if !row.get::<bool, _>("is_active") || claims["ver"] != user["ver"] {
            return None;
        }
        let (access, access_jti, access_exp) = self.sign(&user, "access", 300);
        let (refresh, refresh_jti, refresh_exp) = self.sign(&user, "refresh", 86_400);
        let now = Utc::now();
        let mut tx = self.pool.begin().await.unwrap();
        let used = sqlx::query(
            "UPDATE auth_refresh_tokens SET used_at = ? WHERE jti = ? AND used_at IS NULL \
             AND revoked_at IS NULL AND expires_at > ?",
        )
        .bind(now)
        .bind(claims["jti"].as_str()?)
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
        if used.rows_affected() != 1 {
            return None;
        }
        let family: String = sqlx::query("SELECT family FROM auth_refresh_tokens WHERE jti = ?")
            .bind(claims["jti"].as_str()?)
            .fetch_one(&mut *tx)
            .await
            .unwrap()
            .get(0);
        let at = |secs: i64| chrono::DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        sqlx::query(
            "INSERT INTO auth_refresh_tokens (jti, user_id, family, access_jti, access_expires_at, \
             issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&refresh_jti)
        .bind(id)
        .bind(&family)
        .bind(&access_jti)
        .bind(at(access_exp))
        .bind(now)
        .bind(at(refresh_exp))
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        std::hint::black_box(access);
        Some(refresh)
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let rounds = env_or("AKSARA_BENCH_ROUNDS", 7);
    let per_round = env_or("AKSARA_BENCH_REFRESHES", 1500);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let path = std::env::temp_dir().join(format!("aksara_bench_refresh_{}.db", std::process::id()));
        let url = format!("sqlite://{}", path.display());
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let user = User::objects()
            .create()
            .email("refresh@example.com")
            .password("correct horse battery staple")
            .exec(&db)
            .await
            .unwrap();
        let jwt = Jwt::hmac(JwtAlgorithm::Hs256, SECRET).unwrap();
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .unwrap()
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        let raw = Raw {
            pool: sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(10)
                .connect_with(options)
                .await
                .unwrap(),
            encoding: EncodingKey::from_secret(SECRET).unwrap(),
            decoding: DecodingKey::from_secret(SECRET).unwrap(),
            validation,
        };
        // Each side starts from a refresh token of its own login.
        let mut aksara_token = jwt.issue_pair(&db, &user).await.unwrap().refresh;
        let mut raw_token = jwt.issue_pair(&db, &user).await.unwrap().refresh;
        let (mut aksara_rates, mut raw_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..=rounds {
            let started = Instant::now();
            for _ in 0..per_round {
                aksara_token = jwt.refresh::<User>(&db, &aksara_token).await.unwrap().refresh;
            }
            let aksara_rate = per_round as f64 / started.elapsed().as_secs_f64();
            let started = Instant::now();
            for _ in 0..per_round {
                raw_token = raw.refresh(&raw_token).await.expect("the hand-written refresh works");
            }
            let raw_rate = per_round as f64 / started.elapsed().as_secs_f64();
            if round == 0 {
                continue; // warm-up
            }
            eprintln!("round {round}: Jwt::refresh {aksara_rate:.0}/s, hand-written {raw_rate:.0}/s");
            aksara_rates.push(aksara_rate);
            raw_rates.push(raw_rate);
            ratios.push(aksara_rate / raw_rate);
        }
        println!(
            "\nrefresh (verify, rotate in one transaction, issue a pair) on SQLite, {per_round} per \
             round, medians of {rounds} rounds:\n"
        );
        println!("| side | refreshes/s | vs hand-written |");
        println!("|---|---|---|");
        println!("| hand-written jsonwebtoken + sqlx (baseline) | {:.0} | 1.00 |", median(&mut raw_rates));
        println!("| `Jwt::refresh` | {:.0} | {:.2} |", median(&mut aksara_rates), median(&mut ratios));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    });
}
