//! `auto_now` and `auto_now_add` accept an alias of `DateTime<Utc>` and a newtype
//! that implements `AutoNow`: the derive checks the type with that bound, not by
//! its name, and fills the field through `AutoNow::at`.
#![deny(warnings)]

use aksara::prelude::*;
use aksara::{AutoNow, FieldType, Result, Row, SqlType};

pub type Stamp = DateTime<Utc>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen(DateTime<Utc>);

impl FieldType for Seen {
    const SQL_TYPE: SqlType = SqlType::DateTime;

    fn to_value(&self) -> Value {
        self.0.to_value()
    }

    fn from_value(value: Value) -> Result<Self> {
        DateTime::<Utc>::from_value(value).map(Seen)
    }

    fn decode_nullable(row: &Row, index: usize) -> Result<Option<Self>> {
        Ok(DateTime::<Utc>::decode_nullable(row, index)?.map(Seen))
    }
}

impl AutoNow for Seen {
    fn at(now: DateTime<Utc>) -> Self {
        Seen(now)
    }
}

#[derive(Model, Debug, Clone)]
pub struct Visit {
    #[field(primary_key)]
    pub id: i64,
    #[field(auto_now_add)]
    pub first: Stamp,
    #[field(auto_now)]
    pub last: Seen,
    #[field(auto_now)]
    pub maybe: Option<Seen>,
}

fn main() {
    let meta = <Visit as Model>::META;
    assert!(meta.field_by_name("first").unwrap().auto_now_add);
    assert!(meta.field_by_name("last").unwrap().auto_now);
    assert!(meta.field_by_name("maybe").unwrap().nullable);

    // The values a create fills in, and what a save writes.
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    for index in 1..=3 {
        assert_eq!(
            <Visit as Model>::auto_now_value(index, now),
            Some(Value::DateTime(now))
        );
    }
    assert_eq!(<Visit as Model>::auto_now_value(0, now), None);

    let then = DateTime::from_timestamp(1_600_000_000, 0).unwrap();
    let mut visit = Visit {
        id: 1,
        first: then,
        last: Seen(then),
        maybe: None,
    };
    visit.touch_auto_now(now);
    assert_eq!(
        (visit.first, visit.last, visit.maybe),
        (then, Seen(now), Some(Seen(now)))
    );
}
