//! The database handle: [`Db`] over a sqlx pool of one of three backends, the
//! [`Executor`] trait shared by [`Db`] and [`Transaction`], and [`Row`].
//!
//! The backend is chosen from the URL in exactly one place, [`Backend::from_url`].
//! Each backend lives in its own file of the same shape (`sqlite.rs`, `postgres.rs`,
//! `mysql.rs`): connecting, executing through [`io`]'s shared code, and its
//! [`Dialect`] (`dialect.rs`), which holds every difference in the SQL it speaks —
//! quoting, placeholders, pattern matching, generated keys, column types, DDL,
//! constraint messages. The statements themselves are rendered in [`crate::sql`].

mod dialect;
mod io;
pub(crate) mod mysql;
pub(crate) mod postgres;
pub(crate) mod sqlite;
mod transaction;

pub(crate) use dialect::{Dialect, Upsert};
pub use transaction::Transaction;

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use sqlx::Row as _;
use sqlx::error::ErrorKind;

use crate::model::ModelMeta;
use crate::{Error, Result, Value};

/// The database engines Aksara speaks.
///
/// ```
/// use aksara::Backend;
/// assert_eq!(Backend::from_url("postgres://localhost/app"), Some(Backend::Postgres));
/// assert_eq!(Backend::from_url("redis://localhost"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, embedded (`sqlite://app.db`, `sqlite::memory:`).
    Sqlite,
    /// PostgreSQL (`postgres://…`, `postgresql://…`).
    Postgres,
    /// MySQL or MariaDB (`mysql://…`, `mariadb://…`).
    MySql,
}

impl Backend {
    /// The backend a connection URL names, if Aksara supports it.
    ///
    /// ```
    /// assert_eq!(aksara::Backend::from_url("sqlite::memory:"), Some(aksara::Backend::Sqlite));
    /// ```
    #[must_use]
    pub fn from_url(url: &str) -> Option<Self> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            "mysql" | "mariadb" => Some(Self::MySql),
            _ => None,
        }
    }

    /// How this backend spells SQL: the one place that picks a backend's
    /// [`Dialect`], which the renderers of [`crate::sql`] ask.
    pub(crate) fn dialect(self) -> &'static dyn Dialect {
        match self {
            Self::Sqlite => &sqlite::SqliteDialect,
            Self::Postgres => &postgres::PostgresDialect,
            Self::MySql => &mysql::MySqlDialect,
        }
    }
}

/// Connection pool settings for [`Db::connect_with`].
///
/// ```
/// let options = aksara::DbOptions::default().max_connections(4);
/// assert_eq!(options.max_connections, 4);
/// ```
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Upper bound of open connections (default 10; 1 for `sqlite::memory:`).
    pub max_connections: u32,
    /// Connections kept open when idle (default 0).
    pub min_connections: u32,
    /// How long a query waits for a free connection (default 30 s).
    pub acquire_timeout: Duration,
    /// Close connections idle for longer than this (default 10 min).
    pub idle_timeout: Option<Duration>,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(30),
            idle_timeout: Some(Duration::from_secs(600)),
        }
    }
}

impl DbOptions {
    /// Sets [`DbOptions::max_connections`].
    ///
    /// ```
    /// assert_eq!(aksara::DbOptions::default().max_connections(2).max_connections, 2);
    /// ```
    #[must_use]
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max;
        self
    }

    /// Sets [`DbOptions::min_connections`].
    ///
    /// ```
    /// assert_eq!(aksara::DbOptions::default().min_connections(1).min_connections, 1);
    /// ```
    #[must_use]
    pub fn min_connections(mut self, min: u32) -> Self {
        self.min_connections = min;
        self
    }

    /// Sets [`DbOptions::acquire_timeout`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// let options = aksara::DbOptions::default().acquire_timeout(Duration::from_secs(1));
    /// assert_eq!(options.acquire_timeout, Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    fn pool<DB: sqlx::Database>(&self) -> sqlx::pool::PoolOptions<DB> {
        sqlx::pool::PoolOptions::new()
            .max_connections(self.max_connections)
            .min_connections(self.min_connections)
            .acquire_timeout(self.acquire_timeout)
            .idle_timeout(self.idle_timeout)
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    /// The pool, and for `sqlite::memory:` the connection keeping it alive.
    Sqlite(sqlx::SqlitePool, Option<sqlx::SqlitePool>),
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
}

/// A pool of connections to one database. Cheap to clone; share it.
///
/// ```no_run
/// # async fn demo() -> aksara::Result<()> {
/// let db = aksara::Db::connect("sqlite://app.db").await?;
/// db.migrate().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: Pool,
}

impl fmt::Debug for Db {
    // The URL may hold a password: show only the backend.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Connects with default pool settings; the backend follows the URL's scheme.
    /// A SQLite file is created when missing.
    ///
    /// # Errors
    /// [`Error::UnsupportedUrl`] for another scheme, or the driver's error when the
    /// database cannot be reached.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// let db = aksara::Db::connect("sqlite::memory:").await?;
    /// assert_eq!(db.backend(), aksara::Backend::Sqlite);
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, DbOptions::default()).await
    }

    /// Connects with the given pool settings.
    ///
    /// # Errors
    /// As [`Db::connect`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// let db = aksara::Db::connect_with("sqlite::memory:", aksara::DbOptions::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_with(url: &str, options: DbOptions) -> Result<Self> {
        let backend = Backend::from_url(url).ok_or_else(|| Error::UnsupportedUrl(redact(url)))?;
        let pool = match backend {
            Backend::Sqlite => {
                let (pool, keeper) = sqlite::connect(url, &options).await?;
                Pool::Sqlite(pool, keeper)
            }
            Backend::Postgres => Pool::Postgres(postgres::connect(url, &options).await?),
            Backend::MySql => Pool::MySql(mysql::connect(url, &options).await?),
        };
        tracing::debug!(target: "aksara::db", ?backend, "connected");
        Ok(Self { pool })
    }

    /// Which engine this pool talks to.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// assert_eq!(db.backend(), aksara::Backend::Sqlite);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(..) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
            Pool::MySql(_) => Backend::MySql,
        }
    }

    /// Starts a transaction. Pass `&tx` wherever `&db` goes; nothing is kept unless
    /// [`Transaction::commit`] is called.
    ///
    /// # Errors
    /// The driver's error when no connection can be had.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let tx = db.begin().await?;
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn begin(&self) -> Result<Transaction> {
        Transaction::begin(&self.pool).await
    }

    /// Closes every connection of the pool.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// db.close().await;
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool, keeper) => {
                pool.close().await;
                if let Some(keeper) = keeper {
                    keeper.close().await;
                }
            }
            Pool::Postgres(pool) => pool.close().await,
            Pool::MySql(pool) => pool.close().await,
        }
    }

    /// Runs raw SQL without parameters (DDL, maintenance). Application queries go
    /// through the query API instead.
    ///
    /// # Errors
    /// The driver's error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// db.execute_raw("CREATE TABLE t (x INTEGER)").await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        let started = Instant::now();
        let sql_text = sqlx::AssertSqlSafe(sql.to_owned());
        let affected = match &self.pool {
            Pool::Sqlite(pool, _) => sqlx::raw_sql(sql_text).execute(pool).await?.rows_affected(),
            Pool::Postgres(pool) => sqlx::raw_sql(sql_text).execute(pool).await?.rows_affected(),
            Pool::MySql(pool) => sqlx::raw_sql(sql_text).execute(pool).await?.rows_affected(),
        };
        trace_statement(sql, started);
        Ok(affected)
    }
}

fn redact(url: &str) -> String {
    // Keep the scheme only: the rest may carry credentials.
    url.split("://").next().unwrap_or_default().to_owned() + "://…"
}

/// Keeps the SQL text for the `aksara::sql` debug event only when that event is
/// enabled, so the hot path does not copy SQL nobody reads.
pub(crate) struct SqlForTrace(Option<String>);

impl SqlForTrace {
    pub(crate) fn new(sql: &str) -> Self {
        Self(
            tracing::enabled!(target: "aksara::sql", tracing::Level::DEBUG).then(|| sql.to_owned()),
        )
    }

    pub(crate) fn finish(self, started: Instant) {
        if let Some(sql) = self.0 {
            trace_statement(&sql, started);
        }
    }
}

pub(crate) fn trace_statement(sql: &str, started: Instant) {
    tracing::debug!(
        target: "aksara::sql",
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        sql,
        "statement"
    );
}

/// One SQL statement with its parameters, and the model it concerns (to name the
/// model and field in constraint errors).
#[derive(Debug)]
pub struct Statement {
    pub(crate) sql: String,
    pub(crate) args: Vec<Value>,
    pub(crate) model: &'static ModelMeta,
}

impl Statement {
    pub(crate) fn new(sql: String, args: Vec<Value>, model: &'static ModelMeta) -> Self {
        Self { sql, args, model }
    }

    /// The SQL text, with backend placeholders.
    ///
    /// ```standalone_crate
    /// # use aksara::prelude::*;
    /// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
    /// let sql = Tag::objects().filter(Tag::ID.eq(1)).to_sql(Backend::Postgres);
    /// assert!(sql.sql().contains("WHERE \"id\" = $1"));
    /// ```
    #[must_use]
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// What a write reported.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecResult {
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
    /// The key an auto-increment insert assigned (SQLite and MySQL).
    pub last_insert_id: Option<i64>,
}

pub(crate) mod sealed {
    use std::future::Future;

    use super::{Row, Statement};
    use crate::Result;

    /// What only `aksara` may implement or call on an [`Executor`](super::Executor).
    pub trait Sealed {
        /// Runs `write`, then `read`, on one connection inside one transaction
        /// (the caller's, for a [`Transaction`](super::Transaction)): the rows
        /// `write` locked are read as it left them. For MySQL, which has no
        /// `RETURNING`.
        fn write_then_read(
            &self,
            write: Statement,
            read: Statement,
        ) -> impl Future<Output = Result<Option<Row>>> + Send;
    }

    impl Sealed for super::Db {
        async fn write_then_read(&self, write: Statement, read: Statement) -> Result<Option<Row>> {
            use super::Executor as _;
            let tx = self.begin().await?;
            tx.execute(write).await?;
            let row = tx.fetch_optional(read).await?;
            tx.commit().await?;
            Ok(row)
        }
    }

    impl Sealed for super::Transaction {
        async fn write_then_read(&self, write: Statement, read: Statement) -> Result<Option<Row>> {
            use super::Executor as _;
            self.execute(write).await?;
            self.fetch_optional(read).await
        }
    }
}

/// Where queries run: a [`Db`] pool or a [`Transaction`]. Every terminal query
/// method takes `&impl Executor`, so code written against `&db` runs inside a
/// transaction unchanged.
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64 }
/// async fn count_tags(db: &impl Executor) -> aksara::Result<u64> {
///     Tag::objects().count(db).await
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run queries",
    label = "expected `&Db` or `&Transaction`",
    note = "pass the database handle (`&db`) or a transaction (`&tx`)"
)]
pub trait Executor: sealed::Sealed + Send + Sync {
    /// The engine behind this executor.
    fn backend(&self) -> Backend;

    /// Runs a query and returns every row.
    ///
    /// # Errors
    /// The mapped driver error.
    fn fetch_all(&self, statement: Statement) -> impl Future<Output = Result<Vec<Row>>> + Send;

    /// Runs a query and returns its first row, if any.
    ///
    /// # Errors
    /// The mapped driver error.
    fn fetch_optional(
        &self,
        statement: Statement,
    ) -> impl Future<Output = Result<Option<Row>>> + Send;

    /// Runs a write.
    ///
    /// # Errors
    /// The mapped driver error ([`Error::Unique`], [`Error::ForeignKey`], …).
    fn execute(&self, statement: Statement) -> impl Future<Output = Result<ExecResult>> + Send;
}

macro_rules! dispatch {
    ($pool:expr, $method:ident, $statement:expr) => {
        match $pool {
            Pool::Sqlite(pool, _) => sqlite::$method(pool, $statement).await,
            Pool::Postgres(pool) => postgres::$method(pool, $statement).await,
            Pool::MySql(pool) => mysql::$method(pool, $statement).await,
        }
    };
}

impl Executor for Db {
    fn backend(&self) -> Backend {
        Db::backend(self)
    }

    async fn fetch_all(&self, statement: Statement) -> Result<Vec<Row>> {
        dispatch!(&self.pool, fetch_all, statement)
    }

    async fn fetch_optional(&self, statement: Statement) -> Result<Option<Row>> {
        dispatch!(&self.pool, fetch_optional, statement)
    }

    async fn execute(&self, statement: Statement) -> Result<ExecResult> {
        dispatch!(&self.pool, execute, statement)
    }
}

/// One result row, in whichever backend's format. Read it through
/// [`FieldType::decode`](crate::FieldType::decode).
pub struct Row(pub(crate) RowInner);

pub(crate) enum RowInner {
    Sqlite(sqlx::sqlite::SqliteRow),
    Postgres(sqlx::postgres::PgRow),
    MySql(sqlx::mysql::MySqlRow),
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Row")
    }
}

impl Row {
    /// Decodes column `index` with sqlx's own decoder for each backend.
    pub(crate) fn decode<T>(&self, index: usize) -> Result<T>
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + for<'r> sqlx::Decode<'r, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>
            + for<'r> sqlx::Decode<'r, sqlx::MySql>
            + sqlx::Type<sqlx::MySql>,
    {
        let decoded = match &self.0 {
            RowInner::Sqlite(row) => row.try_get(index),
            RowInner::Postgres(row) => row.try_get(index),
            RowInner::MySql(row) => row.try_get(index),
        };
        decoded.map_err(|err| Error::Decode {
            column: index.to_string(),
            message: err.to_string(),
        })
    }

    /// Decodes a JSON column: native `jsonb` on PostgreSQL, text elsewhere.
    pub(crate) fn decode_json(&self, index: usize) -> Result<Option<serde_json::Value>> {
        let decode_error = |message: String| Error::Decode {
            column: index.to_string(),
            message,
        };
        let text: Option<String> = match &self.0 {
            RowInner::Postgres(row) => {
                return row
                    .try_get::<Option<sqlx::types::Json<serde_json::Value>>, _>(index)
                    .map(|json| json.map(|json| json.0))
                    .map_err(|err| decode_error(err.to_string()));
            }
            RowInner::Sqlite(row) => row
                .try_get(index)
                .map_err(|err| decode_error(err.to_string()))?,
            // MariaDB reports JSON columns as LONGTEXT with a binary collation at times,
            // which the typed decoder refuses: read the bytes as they are.
            RowInner::MySql(row) => row
                .try_get_unchecked::<Option<Vec<u8>>, _>(index)
                .map_err(|err| decode_error(err.to_string()))?
                .map(|bytes| String::from_utf8(bytes).map_err(|err| decode_error(err.to_string())))
                .transpose()?,
        };
        text.map(|text| serde_json::from_str(&text).map_err(|err| decode_error(err.to_string())))
            .transpose()
    }

    /// The number of rows counted by a `COUNT(*)` query.
    pub(crate) fn count(&self) -> Result<u64> {
        let count: i64 = self.decode(0)?;
        u64::try_from(count).map_err(|err| Error::Decode {
            column: "0".into(),
            message: err.to_string(),
        })
    }
}

/// Maps a driver error to Aksara's constraint errors, naming the model and field.
pub(crate) fn map_error(err: sqlx::Error, backend: Backend, model: &'static ModelMeta) -> Error {
    let sqlx::Error::Database(db_err) = &err else {
        return Error::Database(err);
    };
    let dialect = backend.dialect();
    let columns = dialect.constraint_columns(db_err.as_ref(), model);
    let fields = columns
        .iter()
        .map(|column| {
            model
                .field_by_column(column)
                .map_or(column.as_str(), |field| field.name)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let kind = dialect.error_kind(db_err.as_ref());
    match kind {
        ErrorKind::UniqueViolation => Error::Unique {
            model: model.name,
            field: fields,
        },
        ErrorKind::ForeignKeyViolation => Error::ForeignKey {
            model: model.name,
            field: (!fields.is_empty()).then_some(fields),
            message: db_err.message().to_owned(),
        },
        _ => Error::Database(err),
    }
}

/// The columns behind a constraint named as [`crate::migrate`] names them.
pub(crate) fn constraint_columns(name: &str, model: &'static ModelMeta) -> Vec<String> {
    crate::migrate::constraints(model)
        .into_iter()
        .find(|constraint| constraint.name == name)
        .map(|constraint| constraint.columns)
        .unwrap_or_default()
}
