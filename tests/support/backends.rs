//! Fresh databases for one test, on every configured backend.

use std::sync::atomic::{AtomicUsize, Ordering};

use aksara::{Backend, Db};

/// A migrated database that belongs to one test.
#[derive(Debug)]
pub struct TestDb {
    /// The handle.
    pub db: Db,
    /// `sqlite`, `postgres` or `mysql`, for assertion messages.
    pub label: &'static str,
    sqlite_file: Option<std::path::PathBuf>,
}

impl std::ops::Deref for TestDb {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A name no other test of any process uses.
fn unique_name() -> String {
    format!(
        "aksara_t_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// One migrated database per configured backend: SQLite always, PostgreSQL and
/// MySQL when their URL variables are set.
///
/// # Panics
/// When a configured server cannot be reached: a test run that was asked to cover a
/// backend must not silently skip it.
pub async fn databases() -> Vec<TestDb> {
    let mut all = vec![sqlite().await];
    if let Ok(url) = std::env::var("AKSARA_TEST_POSTGRES_URL") {
        all.push(postgres(&url).await);
    }
    if let Ok(url) = std::env::var("AKSARA_TEST_MYSQL_URL") {
        all.push(mysql(&url).await);
    }
    for test_db in &all {
        test_db
            .db
            .migrate()
            .await
            .unwrap_or_else(|err| panic!("migrate on {}: {err}", test_db.label));
    }
    all
}

/// Runs `test` once per configured backend, on a fresh migrated database, with
/// the backend's label for assertion messages. The database lives until its run
/// of `test` returns.
///
/// # Panics
/// As [`databases`], and whenever `test` does.
pub async fn on_each_database(test: impl AsyncFn(Db, &'static str)) {
    for test_db in databases().await {
        test(test_db.db.clone(), test_db.label).await;
    }
}

async fn sqlite() -> TestDb {
    let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("create a SQLite file");
    assert_eq!(db.backend(), Backend::Sqlite);
    TestDb {
        db,
        label: "sqlite",
        sqlite_file: Some(path),
    }
}

async fn postgres(url: &str) -> TestDb {
    let schema = unique_name();
    let admin = Db::connect(url)
        .await
        .expect("connect to AKSARA_TEST_POSTGRES_URL");
    admin
        .execute_raw(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create a test schema");
    admin.close().await;
    let mut scoped = url::Url::parse(url).expect("AKSARA_TEST_POSTGRES_URL is a URL");
    scoped
        .query_pairs_mut()
        .append_pair("options", &format!("-c search_path={schema}"));
    let db = Db::connect(scoped.as_str())
        .await
        .expect("connect to the test schema");
    TestDb {
        db,
        label: "postgres",
        sqlite_file: None,
    }
}

async fn mysql(url: &str) -> TestDb {
    let database = unique_name();
    let admin = Db::connect(url)
        .await
        .expect("connect to AKSARA_TEST_MYSQL_URL");
    admin
        .execute_raw(&format!("CREATE DATABASE {database}"))
        .await
        .expect("create a test database");
    admin.close().await;
    let mut scoped = url::Url::parse(url).expect("AKSARA_TEST_MYSQL_URL is a URL");
    scoped.set_path(&database);
    let db = Db::connect(scoped.as_str())
        .await
        .expect("connect to the test database");
    TestDb {
        db,
        label: "mysql",
        sqlite_file: None,
    }
}
