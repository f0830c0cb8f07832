//! [`Transaction`]: a connection held for a unit of work, usable wherever `&Db` is.

use tokio::sync::Mutex;

use super::{Backend, ExecResult, Executor, Pool, Row, Statement, mysql, postgres, sqlite};
use crate::{Error, Result};

enum Open {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
}

/// A database transaction. Queries take `&tx` exactly as they take `&db`.
/// Dropping it without [`commit`](Transaction::commit) rolls back.
///
/// ```standalone_crate
/// # use aksara::prelude::*;
/// # #[derive(Model, Debug, Clone)] pub struct Tag { #[field(primary_key)] pub id: i64, pub name: String }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// db.migrate().await?;
/// let tx = db.begin().await?;
/// Tag::objects().create().name("draft").exec(&tx).await?;
/// tx.rollback().await?;
/// assert_eq!(Tag::objects().count(&db).await?, 0);
/// # Ok(()) }
/// ```
pub struct Transaction {
    // Queries take `&self` like `&Db`; the mutex serialises them on the one connection.
    open: Mutex<Option<Open>>,
    backend: Backend,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

fn finished() -> Error {
    Error::Database(sqlx::Error::Protocol(
        "the transaction was already committed or rolled back".into(),
    ))
}

impl Transaction {
    pub(super) async fn begin(pool: &Pool) -> Result<Self> {
        let (open, backend) = match pool {
            Pool::Sqlite(pool, _) => (Open::Sqlite(pool.begin().await?), Backend::Sqlite),
            Pool::Postgres(pool) => (Open::Postgres(pool.begin().await?), Backend::Postgres),
            Pool::MySql(pool) => (Open::MySql(pool.begin().await?), Backend::MySql),
        };
        Ok(Self {
            open: Mutex::new(Some(open)),
            backend,
        })
    }

    /// Makes every write of the transaction permanent.
    ///
    /// # Errors
    /// The driver's error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// db.begin().await?.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn commit(self) -> Result<()> {
        match self.open.into_inner().ok_or_else(finished)? {
            Open::Sqlite(tx) => tx.commit().await?,
            Open::Postgres(tx) => tx.commit().await?,
            Open::MySql(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Discards every write of the transaction.
    ///
    /// # Errors
    /// The driver's error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// db.begin().await?.rollback().await?;
    /// # Ok(()) }
    /// ```
    pub async fn rollback(self) -> Result<()> {
        match self.open.into_inner().ok_or_else(finished)? {
            Open::Sqlite(tx) => tx.rollback().await?,
            Open::Postgres(tx) => tx.rollback().await?,
            Open::MySql(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

macro_rules! on_connection {
    ($self:ident, $method:ident, $statement:ident) => {{
        let mut guard = $self.open.lock().await;
        match guard.as_mut().ok_or_else(finished)? {
            Open::Sqlite(tx) => sqlite::$method(&mut **tx, $statement).await,
            Open::Postgres(tx) => postgres::$method(&mut **tx, $statement).await,
            Open::MySql(tx) => mysql::$method(&mut **tx, $statement).await,
        }
    }};
}

impl Executor for Transaction {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn fetch_all(&self, statement: Statement) -> Result<Vec<Row>> {
        on_connection!(self, fetch_all, statement)
    }

    async fn fetch_optional(&self, statement: Statement) -> Result<Option<Row>> {
        on_connection!(self, fetch_optional, statement)
    }

    async fn execute(&self, statement: Statement) -> Result<ExecResult> {
        on_connection!(self, execute, statement)
    }
}
