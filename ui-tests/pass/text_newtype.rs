//! A newtype stored as text opts in to the text options and the string lookups
//! with `impl TextColumn for Slug {}`.
#![deny(warnings)]

use aksara::prelude::*;
use aksara::{FieldType, Result, Row, SqlType, TextColumn, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Slug(String);

impl FieldType for Slug {
    const SQL_TYPE: SqlType = SqlType::Text;

    fn to_value(&self) -> Value {
        self.0.to_value()
    }

    fn from_value(value: Value) -> Result<Self> {
        String::from_value(value).map(Slug)
    }

    fn decode_nullable(row: &Row, index: usize) -> Result<Option<Self>> {
        Ok(String::decode_nullable(row, index)?.map(Slug))
    }
}

impl TextColumn for Slug {}

#[derive(Model, Debug, Clone)]
pub struct Page {
    #[field(primary_key)]
    pub id: i64,
    #[field(unique, case_insensitive, max_length = 50)]
    pub slug: Slug,
    #[field(max_length = 50)]
    pub previous_slug: Option<Slug>,
}

fn main() {
    let meta = <Page as Model>::META;
    let slug = meta.field_by_name("slug").unwrap();
    assert_eq!(slug.sql_type, SqlType::Text);
    assert_eq!(slug.max_length, Some(50));
    assert!(slug.unique && slug.case_insensitive);
    let previous = meta.field_by_name("previous_slug").unwrap();
    assert!(previous.nullable);
    assert_eq!(previous.max_length, Some(50));

    let _ = Page::SLUG.contains("news");
    let _ = Page::objects().create().slug(Slug("about".into()));
}
