//! [`AutoNow`]: the field types that `#[field(auto_now)]` and
//! `#[field(auto_now_add)]` can set to the current time.

use chrono::{DateTime, Utc};

/// A field type that holds a point in time, so `#[field(auto_now)]` (set at
/// creation and at every `save`) and `#[field(auto_now_add)]` (set at creation)
/// can fill it. `#[derive(Model)]` checks the option through this trait rather
/// than by the type's name, so an alias such as `type Stamp = DateTime<Utc>;`
/// qualifies like `DateTime<Utc>` itself.
///
/// Implemented for `DateTime<Utc>` and for `Option<T>` of every `AutoNow` type
/// (an optional field is set to `Some(now)`). A newtype over a timestamp opts in
/// by saying how to build it from the current time.
///
/// ```standalone_crate
/// use aksara::prelude::*;
/// use aksara::AutoNow;
///
/// pub type Stamp = DateTime<Utc>;
///
/// #[derive(Model, Debug, Clone)]
/// pub struct Note {
///     #[field(primary_key)]
///     pub id: i64,
///     #[field(auto_now_add)]
///     pub created: Stamp,
///     #[field(auto_now)]
///     pub touched: Option<Stamp>,
/// }
///
/// let now = Utc::now();
/// assert_eq!(<Option<Stamp> as AutoNow>::at(now), Some(now));
/// assert!(<Note as Model>::META.field_by_name("touched").unwrap().auto_now);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a timestamp that `auto_now` or `auto_now_add` can set",
    label = "not `DateTime<Utc>`",
    note = "`auto_now` and `auto_now_add` set the field to the current time: use `DateTime<Utc>` or `Option<DateTime<Utc>>` (an alias of either works)",
    note = "a newtype over a timestamp opts in with `impl aksara::AutoNow for MyType {{ fn at(now: DateTime<Utc>) -> Self {{ MyType(now) }} }}`"
)]
pub trait AutoNow {
    /// The field's value at `now`; one `now` is shared by every automatic field
    /// of the row being created or saved.
    ///
    /// ```
    /// use aksara::AutoNow;
    /// use aksara::prelude::*;
    ///
    /// let now = Utc::now();
    /// assert_eq!(<DateTime<Utc> as AutoNow>::at(now), now);
    /// ```
    fn at(now: DateTime<Utc>) -> Self;
}

impl AutoNow for DateTime<Utc> {
    fn at(now: DateTime<Utc>) -> Self {
        now
    }
}

impl<T: AutoNow> AutoNow for Option<T> {
    fn at(now: DateTime<Utc>) -> Self {
        Some(T::at(now))
    }
}
