//! Shared setup of the integration tests: one fresh, isolated database per backend.
//!
//! SQLite always; PostgreSQL and MySQL/MariaDB when `AKSARA_TEST_POSTGRES_URL` /
//! `AKSARA_TEST_MYSQL_URL` are set (CI sets both). Each call gets its own SQLite
//! file, PostgreSQL schema or MySQL database, so tests run in parallel without
//! seeing each other's rows.

pub mod backends;
pub mod blog;
pub mod http;
pub mod logs;

pub use backends::{TestDb, databases, on_each_database};
pub use http::{
    Call, PASSWORD, Reply, assert_challenged, assert_error, assert_refused, create_user, jane,
};
pub use logs::{CapturedLogs, capture_logs, captured_logs};
