//! The SQL renderers: pure functions from the shape of a statement to a
//! [`Statement`](crate::Statement) — SQL text plus bound values — with no I/O and no
//! pool. Callers (`query/`, `model/`, `migrate/`) render, then execute.
//!
//! One file per statement kind:
//!
//! | file | renders |
//! |---|---|
//! | `select.rs` | `SELECT` with filters, joins, order, limit and offset; `COUNT`; `EXISTS`; `EXPLAIN` |
//! | `insert.rs` | `INSERT` of one or many rows, with `RETURNING` where keys come back that way |
//! | `update.rs` | `UPDATE` by filter (written as the assignments come) and by primary key |
//! | `delete.rs` | `DELETE` by filter |
//! | `relation.rs` | the join-table `INSERT` of many-to-many links, and the one `IN (…)` query of a prefetch |
//! | `upsert.rs` | the counting upsert: `INSERT … ON CONFLICT … DO UPDATE` (MySQL: `ON DUPLICATE KEY UPDATE`) |
//! | `table.rs` | `CREATE TABLE`, `CREATE INDEX`, and the `ALTER TABLE` that adds a lowered column |
//! | `clause.rs` | what those share: `WHERE` (lookups), `ORDER BY`, `LIMIT`/`OFFSET` |
//! | `writer.rs` | [`SqlWriter`], the one `String` and argument list a statement is written into |
//!
//! A renderer never looks at which backend it writes for: every difference (quoting,
//! placeholders, `LIKE`/`GLOB`/`ILIKE`, `RETURNING`, column types, index syntax…)
//! is asked of the backend's [`Dialect`](crate::db::Dialect), in
//! `db/{sqlite,postgres,mysql}.rs`.
//!
//! The text depends only on the statement's shape (columns, operators, number of
//! parameters), never on values, so sqlx's per-connection statement cache hits.

mod clause;
pub(crate) mod delete;
pub(crate) mod insert;
pub(crate) mod relation;
pub(crate) mod select;
pub(crate) mod table;
pub(crate) mod update;
pub(crate) mod upsert;
mod writer;

#[cfg(test)]
mod fixtures;

pub(crate) use writer::SqlWriter;
