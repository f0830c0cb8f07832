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

/// A foreign key to the application's user model, whichever model fills the
/// `"auth.user"` slot (its own `#[auth_user]` struct or the built-in
/// [`User`](crate::User)): the column type of the auth crate's own tables
/// (tokens, refresh tokens) that belong to a user. `db.migrate()` gives the
/// column a real foreign key to the user table, `ON DELETE CASCADE`, so a deleted
/// user's rows go with it.
///
/// A plain [`aksara::ForeignKey<U>`] cannot be used there: the auth crate's models
/// are compiled before the application names its user model.
///
/// ```
/// use aksara::FieldType;
/// let id = aksara_auth::UserId(uuid::Uuid::nil());
/// assert_eq!(id.to_value(), aksara::Value::Uuid(uuid::Uuid::nil()));
/// // The referenced table is the user model's (here the built-in one).
/// let target = (<aksara_auth::UserId as FieldType>::REFERENCES.unwrap())();
/// assert_eq!(target.table, "auth_users");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct UserId(pub uuid::Uuid);

/// The user table's metadata. `db.migrate()` checks every slot before it
/// resolves a foreign key, so the fallback to the built-in model (taken only
/// when two `#[auth_user]` models claim the slot) is never used to create a table.
fn user_table() -> &'static aksara::ModelMeta {
    super::user_model().unwrap_or(<crate::User as aksara::Model>::META)
}

impl FieldType for UserId {
    const SQL_TYPE: SqlType = SqlType::Uuid;
    const REFERENCES: Option<fn() -> &'static aksara::ModelMeta> = Some(user_table);

    fn to_value(&self) -> Value {
        Value::Uuid(self.0)
    }

    fn from_value(value: Value) -> aksara::Result<Self> {
        uuid::Uuid::from_value(value).map(Self)
    }

    fn decode_nullable(row: &Row, index: usize) -> aksara::Result<Option<Self>> {
        Ok(uuid::Uuid::decode_nullable(row, index)?.map(Self))
    }
}

impl UserId {
    /// The key of `user`.
    ///
    /// ```
    /// use aksara_auth::{AuthUser, User, UserId};
    /// # fn demo(user: &User) {
    /// assert_eq!(UserId::of(user).0, user.id());
    /// # }
    /// ```
    #[must_use]
    pub fn of<U: crate::AuthUser>(user: &U) -> Self {
        Self(user.id())
    }
}

impl aksara::Operand<UserId> for uuid::Uuid {
    fn into_value(self) -> Value {
        Value::Uuid(self)
    }
}
