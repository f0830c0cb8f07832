//! [`SqlWriter`]: the text and arguments of one statement, written in one pass.

use crate::db::{Dialect, Statement};
use crate::model::ModelMeta;
use crate::{Backend, Value};

/// Accumulates SQL text and its parameters, spelled by one backend's dialect.
pub(crate) struct SqlWriter {
    dialect: &'static dyn Dialect,
    sql: String,
    args: Vec<Value>,
    /// Table alias to qualify base-table columns with, when the query joins.
    qualifier: Option<&'static str>,
}

impl SqlWriter {
    pub(crate) fn new(backend: Backend) -> Self {
        Self {
            dialect: backend.dialect(),
            sql: String::with_capacity(256),
            args: Vec::new(),
            qualifier: None,
        }
    }

    pub(crate) fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    /// Appends a number as text (a `LIMIT`, never a value from a user).
    pub(crate) fn number(&mut self, number: u64) -> &mut Self {
        use std::fmt::Write as _;
        let _ = write!(self.sql, "{number}");
        self
    }

    pub(crate) fn ident(&mut self, name: &str) -> &mut Self {
        self.dialect.quote_identifier(name, &mut self.sql);
        self
    }

    pub(crate) fn param(&mut self, value: Value) -> &mut Self {
        self.args.push(value);
        self.dialect.placeholder(self.args.len(), &mut self.sql);
        self
    }

    /// Appends the dialect's type for `field`.
    pub(crate) fn column_type(
        &mut self,
        field: &crate::model::FieldMeta,
        keyed: bool,
    ) -> &mut Self {
        self.dialect.column_type(field, keyed, &mut self.sql);
        self
    }

    /// `name`, qualified by the base table's alias when the query joins.
    pub(crate) fn qualified(&mut self, name: &str) -> &mut Self {
        if let Some(alias) = self.qualifier {
            self.push(alias).push(".");
        }
        self.ident(name)
    }

    /// Column `field` of `meta`, qualified when the query joins.
    pub(crate) fn column(&mut self, meta: &ModelMeta, field: usize) -> &mut Self {
        self.qualified(meta.fields[field].column)
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

    /// `"a", "b"` for the given column names.
    pub(crate) fn ident_list(&mut self, names: &[impl AsRef<str>]) -> &mut Self {
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.ident(name.as_ref());
        }
        self
    }

    pub(crate) fn set_qualifier(&mut self, alias: Option<&'static str>) {
        self.qualifier = alias;
    }

    /// The statement written, concerning `model`.
    pub(crate) fn finish(self, model: &'static ModelMeta) -> Statement {
        Statement::new(self.sql, self.args, model)
    }
}
