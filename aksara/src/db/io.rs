//! Statement execution shared by the three backends. Each backend module invokes
//! [`backend_io!`] once; the expansion is the same code typed for that backend, so
//! binding and row handling cannot drift apart between backends.

/// Expands to `bind`, `fetch_all`, `fetch_optional` and `execute` for one backend.
///
/// `$db` is the sqlx database type, `$backend` the [`Backend`](super::Backend)
/// variant, `$row` the [`RowInner`](super::RowInner) variant and `$last_id` a
/// function from the backend's query result to the auto-increment id.
macro_rules! backend_io {
    ($db:ty, $backend:expr, $row:path, $last_id:expr) => {
        type Query = sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments>;

        fn bind_all(
            statement: super::Statement,
        ) -> crate::Result<(Query, &'static crate::model::ModelMeta, std::time::Instant)> {
            use crate::{SqlType, Value};
            let super::Statement { sql, args, model } = statement;
            let mut query: Query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in args {
                query = match value {
                    Value::Null(kind) => match kind {
                        SqlType::Bool => query.bind(None::<bool>),
                        SqlType::I16 => query.bind(None::<i16>),
                        SqlType::I32 => query.bind(None::<i32>),
                        SqlType::I64 => query.bind(None::<i64>),
                        SqlType::F32 => query.bind(None::<f32>),
                        SqlType::F64 => query.bind(None::<f64>),
                        SqlType::Text => query.bind(None::<String>),
                        SqlType::Bytes => query.bind(None::<Vec<u8>>),
                        SqlType::Uuid => query.bind(None::<uuid::Uuid>),
                        SqlType::DateTime => query.bind(None::<chrono::DateTime<chrono::Utc>>),
                        SqlType::Date => query.bind(None::<chrono::NaiveDate>),
                        SqlType::Json => query.bind(None::<sqlx::types::Json<serde_json::Value>>),
                    },
                    Value::Bool(v) => query.bind(v),
                    Value::I16(v) => query.bind(v),
                    Value::I32(v) => query.bind(v),
                    Value::I64(v) => query.bind(v),
                    Value::F32(v) => query.bind(v),
                    Value::F64(v) => query.bind(v),
                    Value::Text(v) => query.bind(v),
                    Value::Bytes(v) => query.bind(v),
                    Value::Uuid(v) => query.bind(v),
                    Value::DateTime(v) => query.bind(v),
                    Value::Date(v) => query.bind(v),
                    Value::Json(v) => query.bind(sqlx::types::Json(v)),
                    Value::Invalid(message) => {
                        return Err(crate::Error::Decode {
                            column: String::new(),
                            message,
                        });
                    }
                    Value::Deferred(_) => {
                        return Err(crate::Error::InvalidQuery(
                            "a value computed at write time (such as a raw password) cannot be used in a filter".into(),
                        ));
                    }
                };
            }
            Ok((query, model, std::time::Instant::now()))
        }

        pub(crate) async fn fetch_all<'c, E>(
            executor: E,
            statement: super::Statement,
        ) -> crate::Result<Vec<super::Row>>
        where
            E: sqlx::Executor<'c, Database = $db>,
        {
            let sql_for_trace = crate::db::SqlForTrace::new(&statement.sql);
            let (query, model, started) = bind_all(statement)?;
            let rows = query
                .fetch_all(executor)
                .await
                .map_err(|err| super::map_error(err, $backend, model))?;
            sql_for_trace.finish(started);
            Ok(rows.into_iter().map(|row| super::Row($row(row))).collect())
        }

        pub(crate) async fn fetch_optional<'c, E>(
            executor: E,
            statement: super::Statement,
        ) -> crate::Result<Option<super::Row>>
        where
            E: sqlx::Executor<'c, Database = $db>,
        {
            let sql_for_trace = crate::db::SqlForTrace::new(&statement.sql);
            let (query, model, started) = bind_all(statement)?;
            let row = query
                .fetch_optional(executor)
                .await
                .map_err(|err| super::map_error(err, $backend, model))?;
            sql_for_trace.finish(started);
            Ok(row.map(|row| super::Row($row(row))))
        }

        pub(crate) async fn execute<'c, E>(
            executor: E,
            statement: super::Statement,
        ) -> crate::Result<super::ExecResult>
        where
            E: sqlx::Executor<'c, Database = $db>,
        {
            let sql_for_trace = crate::db::SqlForTrace::new(&statement.sql);
            let (query, model, started) = bind_all(statement)?;
            let done = query
                .execute(executor)
                .await
                .map_err(|err| super::map_error(err, $backend, model))?;
            sql_for_trace.finish(started);
            let last_id: fn(&<$db as sqlx::Database>::QueryResult) -> Option<i64> = $last_id;
            Ok(super::ExecResult {
                rows_affected: done.rows_affected(),
                last_insert_id: last_id(&done),
            })
        }
    };
}

pub(crate) use backend_io;
