//! The clauses statements share: `WHERE` with every lookup, `ORDER BY`,
//! `LIMIT`/`OFFSET`.

use super::SqlWriter;
use crate::Value;
use crate::model::ModelMeta;
use crate::query::{CompareOp, Expr, TextOp};

impl SqlWriter {
    /// ` WHERE …` when there is a filter.
    pub(crate) fn where_clause(&mut self, meta: &ModelMeta, filter: Option<&Expr>) -> &mut Self {
        if let Some(expr) = filter {
            self.push(" WHERE ");
            self.expr(meta, expr);
        }
        self
    }

    /// The condition `expr`, its columns qualified as the writer says.
    pub(crate) fn expr(&mut self, meta: &ModelMeta, expr: &Expr) {
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
            Expr::InSubquery {
                field,
                table,
                select,
                filter,
                values,
            } => {
                // Unqualified inside: the join table's own columns.
                self.column(meta, *field).push(" IN (SELECT ");
                self.ident(table.fields[*select].column).push(" FROM ");
                self.ident(table.table).push(" WHERE ");
                self.ident(table.fields[*filter].column);
                super::relation::in_list(self, values);
                self.push(")");
            }
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
        if op == TextOp::IExact {
            // `LOWER(column)` is what a case-insensitive unique field is indexed
            // on, or the dialect's lowered column where it keeps one.
            let field_meta = &meta.fields[field];
            let lowered = if field_meta.case_insensitive {
                self.dialect().lowered_column(field_meta.column)
            } else {
                None
            };
            if let Some(lowered) = lowered {
                self.qualified(&lowered);
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
        let matcher = self.dialect().pattern_match(op == TextOp::IContains);
        let pattern = if matcher.glob {
            wrap(&escape_glob(value), prefix, suffix, '*')
        } else {
            wrap(&escape_like(value), prefix, suffix, '%')
        };
        if matcher.lower {
            self.push("LOWER(").column(meta, field).push(")");
            self.push(matcher.operator).push("LOWER(");
            self.param(Value::Text(pattern)).push(")");
        } else {
            self.column(meta, field).push(matcher.operator);
            self.param(Value::Text(pattern));
        }
        self.push(matcher.escape);
    }

    /// ` ORDER BY … LIMIT … OFFSET …`, each part when given.
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
                self.push(" LIMIT ").number(limit);
            }
            (None, Some(_)) => {
                if let Some(every_row) = self.dialect().limit_for_offset_only() {
                    self.push(every_row);
                }
            }
            (None, None) => {}
        }
        if let Some(offset) = offset {
            self.push(" OFFSET ").number(offset);
        }
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
