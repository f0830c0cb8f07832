//! The one error type of the model runtime, and the validation report it carries.

use std::collections::BTreeMap;
use std::fmt;

/// What can go wrong when talking to the database through Aksara.
///
/// Driver errors that Aksara understands (unique and foreign-key violations) are
/// mapped to their own variants on every backend, so application code can match
/// on them instead of parsing driver messages.
///
/// ```
/// use aksara::Error;
/// let err = Error::NotFound { model: "Post" };
/// assert_eq!(err.to_string(), "no Post matches the query");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `get` found no row.
    #[error("no {model} matches the query")]
    NotFound {
        /// The model's name.
        model: &'static str,
    },
    /// `get` found more than one row.
    #[error(
        "get() returned more than one {model}: narrow the filter so it matches exactly one row"
    )]
    MultipleObjectsReturned {
        /// The model's name.
        model: &'static str,
    },
    /// One or more fields failed validation before any SQL ran.
    #[error("{0}")]
    Validation(ValidationErrors),
    /// A unique constraint refused the write.
    #[error("a {model} with this {field} already exists")]
    Unique {
        /// The model's name.
        model: &'static str,
        /// The field (or comma-separated fields of a `unique_together`) that clashed;
        /// empty when the backend did not say which constraint failed.
        field: String,
    },
    /// A foreign-key constraint refused the write or the delete.
    #[error("foreign key violation on {model}{}: {message}", field.as_deref().map(|f| format!(".{f}")).unwrap_or_default())]
    ForeignKey {
        /// The model whose statement failed.
        model: &'static str,
        /// The foreign-key field, when the backend names the constraint.
        field: Option<String>,
        /// The driver's message.
        message: String,
    },
    /// The URL given to [`Db::connect`](crate::Db::connect) names no supported backend.
    #[error("unsupported database URL `{0}`: use sqlite://…, postgres://… or mysql://…")]
    UnsupportedUrl(String),
    /// A column could not be turned into the field's Rust type.
    #[error("cannot decode column {column}: {message}")]
    Decode {
        /// The column's index or name.
        column: String,
        /// Why decoding failed.
        message: String,
    },
    /// The query cannot run as asked (for instance `update` on a sliced query set).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// The models cannot be turned into a schema (for instance a foreign-key cycle).
    #[error("schema error: {0}")]
    Schema(String),
    /// Any other error from the driver.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// `Result` with [`enum@Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every validation failure of one write, by field name.
///
/// ```
/// use aksara::ValidationErrors;
/// let mut errors = ValidationErrors::default();
/// errors.add("title", "this field is required");
/// errors.add("slug", "this field is required");
/// assert_eq!(errors.fields().count(), 2);
/// assert!(errors.get("title").is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct ValidationErrors {
    by_field: BTreeMap<String, Vec<String>>,
}

impl ValidationErrors {
    /// Records `message` against `field`.
    ///
    /// ```
    /// let mut errors = aksara::ValidationErrors::default();
    /// errors.add("email", "enter a valid email address");
    /// assert_eq!(errors.get("email").unwrap(), ["enter a valid email address"]);
    /// ```
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.by_field
            .entry(field.into())
            .or_default()
            .push(message.into());
    }

    /// True when no field failed.
    ///
    /// ```
    /// assert!(aksara::ValidationErrors::default().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty()
    }

    /// The messages recorded against `field`.
    ///
    /// ```
    /// assert!(aksara::ValidationErrors::default().get("title").is_none());
    /// ```
    #[must_use]
    pub fn get(&self, field: &str) -> Option<&[String]> {
        self.by_field.get(field).map(Vec::as_slice)
    }

    /// The fields that failed, in name order.
    ///
    /// ```
    /// let mut errors = aksara::ValidationErrors::default();
    /// errors.add("b", "x");
    /// errors.add("a", "y");
    /// assert_eq!(errors.fields().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.by_field.keys().map(String::as_str)
    }

    /// `Ok(())` when empty, else `Err(Error::Validation(self))`.
    ///
    /// # Errors
    /// [`Error::Validation`] carrying every recorded failure.
    ///
    /// ```
    /// assert!(aksara::ValidationErrors::default().into_result().is_ok());
    /// ```
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self))
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("validation failed:")?;
        for (field, messages) in &self.by_field {
            write!(f, " {field}: {};", messages.join(", "))?;
        }
        Ok(())
    }
}
