//! The login lookup on 100,000 users (issue 13.6): `authenticate` finds the user
//! with an `iexact` filter on the email, which the case-insensitive unique index
//! serves (`LOWER(email)` on SQLite and PostgreSQL, the generated `email__lower`
//! column on MySQL/MariaDB). Measured in one run, per backend, against
//! hand-written sqlx:
//!
//! | lookup | what runs |
//! |---|---|
//! | aksara iexact | `User::objects().filter(User::EMAIL.iexact(..)).limit(1).all(..)`, as `authenticate` does |
//! | sqlx indexed | the same indexed equality written by hand (the baseline) |
//! | sqlx email = ? | a case-sensitive equality on a plain unique index on `email` |
//! | sqlx LOWER(email) = LOWER(?), old schema | the old query on the old schema (only a unique index on `email`), which no index serves |
//! | sqlx LOWER(email) = LOWER(?), today's table | MySQL only: the old query text on today's table (MariaDB does not match it to the generated column) |
//!
//! "old schema" is a copy of the users (`CREATE TABLE … AS SELECT`) with only a
//! unique index on `email`, as `auth_users` was before the case-insensitive index.
//! The users are inserted in bulk in one transaction with one password hash
//! computed once. Each lookup names a random user with its case changed, as a
//! person types it. Rounds alternate between the lookups; the median of each is
//! printed with its ratio to the baseline, then each lookup's `EXPLAIN` lines.
//!
//! SQLite always; PostgreSQL and MySQL too when `AKSARA_TEST_POSTGRES_URL` /
//! `AKSARA_TEST_MYSQL_URL` are set (a schema / database `aksara_bench_lookup` is
//! dropped and made afresh). `AKSARA_BENCH_USERS` changes the number of users.
//!
//! Run: `cargo bench -p aksara-auth --bench user_lookup`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aksara::Backend;
use aksara_auth::prelude::*;
use aksara_auth::{User, normalize_email};
use sqlx::Row as _;

const PASSWORD: &str = "correct horse battery staple";
const ROUNDS: usize = 5;
/// How long one lookup runs in a round (fewer when the lookup is fast)…
const ROUND_BUDGET: Duration = Duration::from_millis(300);
/// …and at most this many times.
const MAX_PER_ROUND: u32 = 3_000;
/// The random users the lookups name.
const SAMPLE: usize = 1_024;
const SCHEMA: &str = "aksara_bench_lookup";

/// The hand-written side's connection pool.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
}

struct Target {
    label: &'static str,
    db: Db,
    raw: Raw,
    sqlite_file: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, PartialEq)]
enum Lookup {
    AksaraIexact,
    SqlxIndexed,
    SqlxPlainEquality,
    SqlxLowerOldSchema,
    SqlxLowerTodaysTable,
}

impl Lookup {
    const ALL: [Self; 5] = [
        Self::AksaraIexact,
        Self::SqlxIndexed,
        Self::SqlxPlainEquality,
        Self::SqlxLowerOldSchema,
        Self::SqlxLowerTodaysTable,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::AksaraIexact => "aksara iexact (authenticate)",
            Self::SqlxIndexed => "sqlx indexed (baseline)",
            Self::SqlxPlainEquality => "sqlx email = ? (plain unique index)",
            Self::SqlxLowerOldSchema => "sqlx LOWER(email) = LOWER(?), old schema",
            Self::SqlxLowerTodaysTable => "sqlx LOWER(email) = LOWER(?), today's table",
        }
    }

    /// The hand-written SQL on `backend`; `None` for the ORM's own lookup, and
    /// for the one that is the baseline's very text there.
    fn sql(self, backend: Backend) -> Option<&'static str> {
        use Backend::{MySql, Postgres, Sqlite};
        Some(match (self, backend) {
            (Self::AksaraIexact, _) => return None,
            (Self::SqlxIndexed, Sqlite) => {
                "SELECT * FROM auth_users WHERE LOWER(email) = LOWER(?) LIMIT 1"
            }
            (Self::SqlxIndexed, Postgres) => {
                "SELECT * FROM auth_users WHERE LOWER(email) = LOWER($1) LIMIT 1"
            }
            (Self::SqlxIndexed, MySql) => {
                "SELECT * FROM auth_users WHERE email__lower = LOWER(?) LIMIT 1"
            }
            (Self::SqlxPlainEquality, Sqlite | MySql) => {
                "SELECT * FROM before_fix WHERE email = ? LIMIT 1"
            }
            (Self::SqlxPlainEquality, Postgres) => {
                "SELECT * FROM before_fix WHERE email = $1 LIMIT 1"
            }
            (Self::SqlxLowerOldSchema, Sqlite | MySql) => {
                "SELECT * FROM before_fix WHERE LOWER(email) = LOWER(?) LIMIT 1"
            }
            (Self::SqlxLowerOldSchema, Postgres) => {
                "SELECT * FROM before_fix WHERE LOWER(email) = LOWER($1) LIMIT 1"
            }
            (Self::SqlxLowerTodaysTable, MySql) => {
                "SELECT * FROM auth_users WHERE LOWER(email) = LOWER(?) LIMIT 1"
            }
            // On SQLite and PostgreSQL that text is the baseline's.
            (Self::SqlxLowerTodaysTable, Sqlite | Postgres) => return None,
        })
    }

    /// What the lookup of user `i` is given: the address as typed, or as stored
    /// for the case-sensitive equality.
    fn login(self, i: usize) -> String {
        if self == Self::SqlxPlainEquality {
            email(i)
        } else {
            typed(i)
        }
    }

    fn runs_on(self, backend: Backend) -> bool {
        self == Self::AksaraIexact || self.sql(backend).is_some()
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The stored address of user `i`.
fn email(i: usize) -> String {
    format!("user{i:06}@example.com")
}

/// User `i`'s address as a person types it: another case.
fn typed(i: usize) -> String {
    format!("User{i:06}@Example.COM")
}

/// `SAMPLE` user numbers below `users`, spread by a fixed LCG (no `rand` needed).
fn sample(users: usize) -> Vec<usize> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..SAMPLE)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(state >> 33).unwrap() % users
        })
        .collect()
}

async fn targets() -> Vec<Target> {
    let mut targets = Vec::new();
    let path = std::env::temp_dir().join(format!("aksara_bench_lookup_{}.db", std::process::id()));
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.unwrap();
    let options = url
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .unwrap()
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let raw = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap();
    targets.push(Target {
        label: "sqlite",
        db,
        raw: Raw::Sqlite(raw),
        sqlite_file: Some(path),
    });
    if let Ok(url) = std::env::var("AKSARA_TEST_POSTGRES_URL") {
        let admin = Db::connect(&url).await.unwrap();
        admin
            .execute_raw(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            .await
            .unwrap();
        admin
            .execute_raw(&format!("CREATE SCHEMA {SCHEMA}"))
            .await
            .unwrap();
        admin.close().await;
        let scoped = format!(
            "{url}{}options=-c%20search_path%3D{SCHEMA}",
            if url.contains('?') { '&' } else { '?' }
        );
        let db = Db::connect(&scoped).await.unwrap();
        let raw = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(&scoped)
            .await
            .unwrap();
        targets.push(Target {
            label: "postgres",
            db,
            raw: Raw::Postgres(raw),
            sqlite_file: None,
        });
    }
    if let Ok(url) = std::env::var("AKSARA_TEST_MYSQL_URL") {
        let admin = Db::connect(&url).await.unwrap();
        admin
            .execute_raw(&format!("DROP DATABASE IF EXISTS {SCHEMA}"))
            .await
            .unwrap();
        admin
            .execute_raw(&format!("CREATE DATABASE {SCHEMA}"))
            .await
            .unwrap();
        admin.close().await;
        let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
        let scoped = format!("{base}/{SCHEMA}");
        let db = Db::connect(&scoped).await.unwrap();
        let raw = sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(4)
            .connect(&scoped)
            .await
            .unwrap();
        targets.push(Target {
            label: "mysql",
            db,
            raw: Raw::MySql(raw),
            sqlite_file: None,
        });
    }
    targets
}

/// `users` users in one transaction (`bulk_create` batches the rows into
/// multi-row inserts), all with the one hash `stored`; then the old-schema copy,
/// and fresh planner statistics.
async fn fill(target: &Target, users: usize, stored: &PasswordHash) {
    let db = &target.db;
    db.migrate().await.unwrap();
    let started = Instant::now();
    let tx = db.begin().await.unwrap();
    for batch in (0..users).collect::<Vec<_>>().chunks(10_000) {
        User::objects()
            .bulk_create(
                &tx,
                batch.iter().map(|&i| {
                    User::objects()
                        .create()
                        .email(email(i))
                        .password(stored.clone())
                }),
            )
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let inserted = started.elapsed();
    let old_schema: &[&str] = match db.backend() {
        Backend::Sqlite => &[
            "CREATE TABLE before_fix AS SELECT * FROM auth_users",
            "CREATE UNIQUE INDEX before_fix_email_key ON before_fix (email)",
            "ANALYZE",
        ],
        Backend::Postgres => &[
            "CREATE TABLE before_fix AS SELECT * FROM auth_users",
            "CREATE UNIQUE INDEX before_fix_email_key ON before_fix (email)",
            "VACUUM ANALYZE auth_users",
            "VACUUM ANALYZE before_fix",
        ],
        Backend::MySql => &[
            "CREATE TABLE before_fix AS SELECT * FROM auth_users",
            "ALTER TABLE before_fix DROP COLUMN email__lower, ADD UNIQUE KEY before_fix_email_key (email)",
            "ANALYZE TABLE auth_users, before_fix",
        ],
    };
    for sql in old_schema {
        db.execute_raw(sql).await.unwrap();
    }
    println!(
        "{}: {users} users inserted in {:.1} s, old-schema copy made",
        target.label,
        inserted.as_secs_f64()
    );
}

/// One hand-written lookup: the user's email and hash, if found.
async fn raw_lookup(raw: &Raw, sql: &'static str, login: &str) -> Option<(String, String)> {
    macro_rules! run {
        ($pool:expr) => {
            sqlx::query(sql)
                .bind(login)
                .fetch_optional($pool)
                .await
                .unwrap()
                .map(|row| (row.get("email"), row.get("password")))
        };
    }
    match raw {
        Raw::Sqlite(pool) => run!(pool),
        Raw::Postgres(pool) => run!(pool),
        Raw::MySql(pool) => run!(pool),
    }
}

/// One lookup of user `i`: the email found.
async fn lookup(target: &Target, which: Lookup, i: usize) -> Option<String> {
    let backend = target.db.backend();
    match which.sql(backend) {
        None => User::objects()
            .filter(User::EMAIL.iexact(&normalize_email(&typed(i))))
            .limit(1)
            .all(&target.db)
            .await
            .unwrap()
            .pop()
            .map(|user| user.email),
        Some(sql) => raw_lookup(&target.raw, sql, &which.login(i))
            .await
            .map(|(email, _)| email),
    }
}

/// The plan lines of `sql` (bound to `login`) as the backend explains it.
async fn explain_raw(raw: &Raw, sql: &str, login: &str) -> Vec<String> {
    match raw {
        Raw::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
            .bind(login)
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>("detail"))
            .collect(),
        Raw::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
            .bind(login)
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect(),
        Raw::MySql(pool) => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                .bind(login)
                .fetch_all(pool)
                .await
                .unwrap();
            rows.iter()
                .map(|row| {
                    ["table", "type", "key", "rows", "Extra"]
                        .map(|column| format!("{column}={}", mysql_cell(row, column)))
                        .join(" ")
                })
                .collect()
        }
    }
}

/// A cell of MariaDB's tabular `EXPLAIN`, whatever its type.
fn mysql_cell(row: &sqlx::mysql::MySqlRow, column: &str) -> String {
    if let Ok(text) = row.try_get::<Option<String>, _>(column) {
        return text.unwrap_or_else(|| "NULL".into());
    }
    if let Ok(number) = row.try_get::<Option<u64>, _>(column) {
        return number.map_or_else(|| "NULL".into(), |n| n.to_string());
    }
    if let Ok(number) = row.try_get::<Option<i64>, _>(column) {
        return number.map_or_else(|| "NULL".into(), |n| n.to_string());
    }
    "?".into()
}

async fn explain(target: &Target, which: Lookup) -> Vec<String> {
    let backend = target.db.backend();
    match which.sql(backend) {
        None => {
            let plan = User::objects()
                .filter(User::EMAIL.iexact(&normalize_email(&typed(7))))
                .limit(1)
                .explain(&target.db)
                .await
                .unwrap();
            if backend == Backend::MySql {
                // `EXPLAIN FORMAT=JSON`: the access lines are enough.
                let access = plan
                    .lines()
                    .map(str::trim)
                    .filter(|line| {
                        ["\"table_name\"", "\"access_type\"", "\"key\"", "\"rows\""]
                            .iter()
                            .any(|name| line.starts_with(name))
                    })
                    .collect::<Vec<_>>();
                vec![access.join(" ")]
            } else {
                plan.lines().map(str::to_owned).collect()
            }
        }
        Some(sql) => explain_raw(&target.raw, sql, &which.login(7)).await,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// µs per lookup of each lookup that runs on `target`, the median of interleaved
/// rounds.
async fn measure(target: &Target, users: &[usize]) -> Vec<(Lookup, f64)> {
    let backend = target.db.backend();
    let lookups: Vec<Lookup> = Lookup::ALL
        .into_iter()
        .filter(|which| which.runs_on(backend))
        .collect();
    for &which in &lookups {
        for &i in &users[..8] {
            assert_eq!(
                lookup(target, which, i).await.as_deref(),
                Some(email(i).as_str()),
                "{}: {}",
                target.label,
                which.name()
            );
        }
    }
    let mut per_lookup: Vec<Vec<f64>> = vec![Vec::new(); lookups.len()];
    let mut next = 0;
    for round in 0..ROUNDS {
        // A different lookup goes first each round.
        for offset in 0..lookups.len() {
            let slot = (round + offset) % lookups.len();
            let started = Instant::now();
            let mut done: u32 = 0;
            while done < MAX_PER_ROUND && started.elapsed() < ROUND_BUDGET {
                let i = users[next % users.len()];
                next += 1;
                black_box(lookup(target, lookups[slot], i).await);
                done += 1;
            }
            per_lookup[slot].push(started.elapsed().as_secs_f64() * 1e6 / f64::from(done));
        }
    }
    lookups
        .into_iter()
        .zip(per_lookup.into_iter().map(median))
        .collect()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let users = env_or("AKSARA_BENCH_USERS", 100_000).max(SAMPLE);
    let sampled = sample(users);
    runtime.block_on(async {
        // Hashed once, stored in every row: hashing 100,000 passwords would take
        // longer than the rest of the benchmark.
        let stored = aksara_auth::hash_password(PASSWORD).await.unwrap();
        let targets = targets().await;
        let mut table = Vec::new();
        let mut plans = Vec::new();
        for target in &targets {
            fill(target, users, &stored).await;
            let results = measure(target, &sampled).await;
            let baseline = results
                .iter()
                .find(|(which, _)| *which == Lookup::SqlxIndexed)
                .map(|(_, us)| *us)
                .unwrap();
            let orm = results
                .iter()
                .find(|(which, _)| *which == Lookup::AksaraIexact)
                .map(|(_, us)| *us)
                .unwrap();
            for &(which, us) in &results {
                table.push(format!(
                    "| {} | {} | {us:.1} | {:.2} | {:.2} |",
                    target.label,
                    which.name(),
                    us / baseline,
                    us / orm
                ));
                plans.push((target.label, which, explain(target, which).await));
            }
        }
        println!();
        println!(
            "Login lookup by email on {users} users: median µs per lookup of {ROUNDS} interleaved rounds"
        );
        println!();
        println!("| backend | lookup | µs/lookup | / sqlx indexed | / aksara iexact |");
        println!("|---|---|---|---|---|");
        for line in &table {
            println!("{line}");
        }
        println!();
        println!("Plans (EXPLAIN):");
        for (label, which, lines) in &plans {
            println!("{label} / {}:", which.name());
            for line in lines {
                println!("    {line}");
            }
        }
        for target in &targets {
            target.db.close().await;
            if let Some(path) = &target.sqlite_file {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
        }
    });
}
