//! Renders query sets into SQL text plus parameters for one backend.
//!
//! The text depends only on the query's shape (columns, operators, number of
//! parameters), never on values, so sqlx's per-connection statement cache hits.

use std::fmt::Write as _;

use super::expr::{CompareOp, Expr, TextOp};
use crate::model::ModelMeta;
use crate::{Backend, Value};

/// Accumulates SQL text and its parameters.
pub(crate) struct SqlWriter {
    pub(crate) backend: Backend,
    pub(crate) sql: String,
    pub(crate) args: Vec<Value>,
    /// Table alias to qualify base-table columns with, when the query joins.
    qualifier: Option<&'static str>,
}

impl SqlWriter {
    pub(crate) fn new(backend: Backend) -> Self {
        Self {
            backend,
            sql: String::with_capacity(256),
            args: Vec::new(),
            qualifier: None,
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    pub(crate) fn ident(&mut self, name: &str) -> &mut Self {
        self.backend.quote(name, &mut self.sql);
        self
    }

    pub(crate) fn param(&mut self, value: Value) -> &mut Self {
        self.args.push(value);
        self.backend.placeholder(self.args.len(), &mut self.sql);
        self
    }

    fn column(&mut self, meta: &ModelMeta, field: usize) -> &mut Self {
        if let Some(alias) = self.qualifier {
            self.push(alias).push(".");
        }
        self.ident(meta.fields[field].column)
    }

    /// `"a", "b", …` (qualified by `alias` when given) for every field of `meta`.
    pub(crate) fn column_list(&mut self, meta: &ModelMeta, alias: Option<&str>) -> &mut Self {
        for (i, field) in meta.fields.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            if let Some(alias) = alias {
                self.push(alias).push(".");
            }
            self.ident(field.column);
        }
        self
    }

    pub(crate) fn where_clause(&mut self, meta: &ModelMeta, filter: Option<&Expr>) -> &mut Self {
        if let Some(expr) = filter {
            self.push(" WHERE ");
            self.expr(meta, expr);
        }
        self
    }

    fn expr(&mut self, meta: &ModelMeta, expr: &Expr) {
        match expr {
            Expr::Compare { field, op, value } => {
                self.column(meta, *field);
                self.push(match op {
                    CompareOp::Eq => " = ",
                    CompareOp::Ne => " <> ",
                    CompareOp::Gt => " > ",
                    CompareOp::Gte => " >= ",
                    CompareOp::Lt => " < ",
                    CompareOp::Lte => " <= ",
                });
                self.param(value.clone());
            }
            Expr::In { values, .. } if values.is_empty() => {
                // `IN ()` is a syntax error; an empty list matches nothing.
                self.push("1 = 0");
            }
            Expr::In { field, values } => {
                self.column(meta, *field).push(" IN (");
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.param(value.clone());
                }
                self.push(")");
            }
            Expr::IsNull { field, is_null } => {
                self.column(meta, *field)
                    .push(if *is_null { " IS NULL" } else { " IS NOT NULL" });
            }
            Expr::Text { field, op, value } => self.text_lookup(meta, *field, *op, value),
            Expr::And(left, right) => self.binary(meta, left, " AND ", right),
            Expr::Or(left, right) => self.binary(meta, left, " OR ", right),
            Expr::Not(inner) => {
                self.push("NOT (");
                self.expr(meta, inner);
                self.push(")");
            }
        }
    }

    fn binary(&mut self, meta: &ModelMeta, left: &Expr, op: &str, right: &Expr) {
        self.push("(");
        self.expr(meta, left);
        self.push(op);
        self.expr(meta, right);
        self.push(")");
    }

    /// String lookups with Django's semantics on each backend: `contains`,
    /// `startswith` and `endswith` are case-sensitive, the `i…` forms are not.
    fn text_lookup(&mut self, meta: &ModelMeta, field: usize, op: TextOp, value: &str) {
        let backend = self.backend;
        if op == TextOp::IExact {
            // `LOWER(column)` is what a case-insensitive unique field is indexed
            // on; on MySQL that is a generated column of its own.
            if backend == Backend::MySql && meta.fields[field].case_insensitive {
                if let Some(alias) = self.qualifier {
                    self.push(alias).push(".");
                }
                self.ident(&crate::db::mysql::lowered_column(meta.fields[field].column));
            } else {
                self.push("LOWER(").column(meta, field).push(")");
            }
            self.push(" = LOWER(");
            self.param(Value::Text(value.to_owned())).push(")");
            return;
        }
        let (prefix, suffix) = match op {
            TextOp::Contains | TextOp::IContains => (true, true),
            TextOp::StartsWith => (false, true),
            TextOp::EndsWith => (true, false),
            TextOp::IExact => unreachable!("handled above"),
        };
        let case_insensitive = op == TextOp::IContains;
        if backend == Backend::Sqlite && !case_insensitive {
            // SQLite's LIKE ignores ASCII case; GLOB is the case-sensitive matcher.
            let pattern = wrap(&escape_glob(value), prefix, suffix, '*');
            self.column(meta, field).push(" GLOB ");
            self.param(Value::Text(pattern));
            return;
        }
        let pattern = wrap(&escape_like(value), prefix, suffix, '%');
        match (backend, case_insensitive) {
            (Backend::Postgres, true) => {
                self.column(meta, field).push(" ILIKE ");
                self.param(Value::Text(pattern));
            }
            (Backend::Postgres, false) => {
                self.column(meta, field).push(" LIKE ");
                self.param(Value::Text(pattern));
            }
            (Backend::MySql, false) => {
                // The default collations compare case-insensitively; BINARY does not.
                self.column(meta, field).push(" LIKE BINARY ");
                self.param(Value::Text(pattern));
            }
            (Backend::MySql, true) => {
                self.push("LOWER(")
                    .column(meta, field)
                    .push(") LIKE LOWER(");
                self.param(Value::Text(pattern)).push(")");
            }
            (Backend::Sqlite, _) => {
                self.push("LOWER(")
                    .column(meta, field)
                    .push(") LIKE LOWER(");
                self.param(Value::Text(pattern)).push(") ESCAPE '\\'");
            }
        }
    }

    pub(crate) fn order_limit(
        &mut self,
        meta: &ModelMeta,
        order: &[(usize, bool)],
        limit: Option<u64>,
        offset: Option<u64>,
    ) {
        for (i, (field, descending)) in order.iter().enumerate() {
            self.push(if i == 0 { " ORDER BY " } else { ", " });
            self.column(meta, *field);
            if *descending {
                self.push(" DESC");
            }
        }
        match (limit, offset) {
            (Some(limit), _) => {
                let _ = write!(self.sql, " LIMIT {limit}");
            }
            // MySQL and SQLite need a LIMIT before OFFSET: ask for every row.
            (None, Some(_)) if self.backend == Backend::Sqlite => {
                self.push(" LIMIT -1");
            }
            (None, Some(_)) if self.backend == Backend::MySql => {
                self.push(" LIMIT 18446744073709551615");
            }
            _ => {}
        }
        if let Some(offset) = offset {
            let _ = write!(self.sql, " OFFSET {offset}");
        }
    }

    pub(crate) fn set_qualifier(&mut self, alias: Option<&'static str>) {
        self.qualifier = alias;
    }
}

fn wrap(escaped: &str, prefix: bool, suffix: bool, wildcard: char) -> String {
    let mut pattern = String::with_capacity(escaped.len() + 2);
    if prefix {
        pattern.push(wildcard);
    }
    pattern.push_str(escaped);
    if suffix {
        pattern.push(wildcard);
    }
    pattern
}

/// Escapes `%`, `_` and the escape character itself for `LIKE`.
fn escape_like(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

/// Escapes GLOB's `*`, `?` and `[` by wrapping each in a character class.
fn escape_glob(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, '*' | '?' | '[') {
            escaped.push('[');
            escaped.push(ch);
            escaped.push(']');
        } else {
            escaped.push(ch);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_user_input_are_literal() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn glob_wildcards_in_user_input_are_literal() {
        assert_eq!(escape_glob("a*b?[c"), "a[*]b[?][[]c");
    }
}
