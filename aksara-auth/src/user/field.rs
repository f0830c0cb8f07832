//! How a [`PasswordHash`] is stored: a text column holding the encoded hash. A raw
//! password given to a create builder or an update becomes a deferred value that
//! is hashed on the hashing threads when the row is written.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aksara::{Assign, DeferredValue, Error, FieldType, Row, SqlType, Value};

use crate::password::{PasswordHash, PasswordHasher};

impl FieldType for PasswordHash {
    const SQL_TYPE: SqlType = SqlType::Text;

    fn to_value(&self) -> Value {
        Value::Text(self.as_encoded().to_owned())
    }

    fn from_value(value: Value) -> aksara::Result<Self> {
        String::from_value(value).map(PasswordHash::from_encoded)
    }

    fn decode_nullable(row: &Row, index: usize) -> aksara::Result<Option<Self>> {
        Ok(String::decode_nullable(row, index)?.map(PasswordHash::from_encoded))
    }
}

/// A raw password waiting to be hashed at write time. Its `Debug` is redacted by
/// [`aksara::Deferred`], and it is never logged.
struct RawPassword(String);

impl DeferredValue for RawPassword {
    fn sql_type(&self) -> SqlType {
        SqlType::Text
    }

    fn resolve(self: Arc<Self>) -> Pin<Box<dyn Future<Output = aksara::Result<Value>> + Send>> {
        Box::pin(async move {
            let hash = PasswordHasher::global()
                .hash(&self.0)
                .await
                .map_err(|err| {
                    Error::InvalidQuery(format!("could not hash the password: {err}"))
                })?;
            Ok(hash.to_value())
        })
    }
}

impl Assign<PasswordHash> for &str {
    fn into_assigned(self) -> Value {
        Value::deferred(RawPassword(self.to_owned()))
    }
}

impl Assign<PasswordHash> for String {
    fn into_assigned(self) -> Value {
        Value::deferred(RawPassword(self))
    }
}

impl Assign<PasswordHash> for &String {
    fn into_assigned(self) -> Value {
        Value::deferred(RawPassword(self.clone()))
    }
}
