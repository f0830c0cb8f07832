//! Every supported field type, and `Option` of each, derives and maps to the
//! expected storage type; `Option<T>` columns are nullable and the others are not.
#![deny(warnings)]

use aksara::SqlType;
use aksara::prelude::*;

#[derive(Model, Debug, Clone)]
pub struct Author {
    #[field(primary_key)]
    pub id: i64,
}

#[derive(Model, Debug, Clone)]
pub struct Everything {
    #[field(primary_key)]
    pub id: i64,
    pub flag: bool,
    pub small: i16,
    pub medium: i32,
    pub large: i64,
    pub single: f32,
    pub double: f64,
    pub text: String,
    pub bytes: Vec<u8>,
    pub uuid: Uuid,
    pub at: DateTime<Utc>,
    pub day: NaiveDate,
    pub tags: Json<Vec<String>>,
    pub author: ForeignKey<Author>,
    pub maybe_flag: Option<bool>,
    pub maybe_small: Option<i16>,
    pub maybe_medium: Option<i32>,
    pub maybe_large: Option<i64>,
    pub maybe_single: Option<f32>,
    pub maybe_double: Option<f64>,
    pub maybe_text: Option<String>,
    pub maybe_bytes: Option<Vec<u8>>,
    pub maybe_uuid: Option<Uuid>,
    pub maybe_at: Option<DateTime<Utc>>,
    pub maybe_day: Option<NaiveDate>,
    pub maybe_tags: Option<Json<Vec<String>>>,
    pub maybe_author: Option<ForeignKey<Author>>,
}

fn main() {
    let meta = <Everything as Model>::META;
    let expected = [
        ("id", "id", SqlType::I64),
        ("flag", "flag", SqlType::Bool),
        ("small", "small", SqlType::I16),
        ("medium", "medium", SqlType::I32),
        ("large", "large", SqlType::I64),
        ("single", "single", SqlType::F32),
        ("double", "double", SqlType::F64),
        ("text", "text", SqlType::Text),
        ("bytes", "bytes", SqlType::Bytes),
        ("uuid", "uuid", SqlType::Uuid),
        ("at", "at", SqlType::DateTime),
        ("day", "day", SqlType::Date),
        ("tags", "tags", SqlType::Json),
        // A foreign key is stored as the referenced model's key, in `<field>_id`.
        ("author", "author_id", SqlType::I64),
        ("maybe_flag", "maybe_flag", SqlType::Bool),
        ("maybe_small", "maybe_small", SqlType::I16),
        ("maybe_medium", "maybe_medium", SqlType::I32),
        ("maybe_large", "maybe_large", SqlType::I64),
        ("maybe_single", "maybe_single", SqlType::F32),
        ("maybe_double", "maybe_double", SqlType::F64),
        ("maybe_text", "maybe_text", SqlType::Text),
        ("maybe_bytes", "maybe_bytes", SqlType::Bytes),
        ("maybe_uuid", "maybe_uuid", SqlType::Uuid),
        ("maybe_at", "maybe_at", SqlType::DateTime),
        ("maybe_day", "maybe_day", SqlType::Date),
        ("maybe_tags", "maybe_tags", SqlType::Json),
        ("maybe_author", "maybe_author_id", SqlType::I64),
    ];
    assert_eq!(meta.fields.len(), expected.len());
    for (field, (name, column, sql_type)) in meta.fields.iter().zip(expected) {
        assert_eq!(field.name, name);
        assert_eq!(field.column, column, "column of {name}");
        assert_eq!(field.sql_type, sql_type, "storage of {name}");
        assert_eq!(
            field.nullable,
            name.starts_with("maybe_"),
            "nullability of {name}"
        );
        let relation = name.ends_with("author");
        assert_eq!(field.references.is_some(), relation, "references of {name}");
        assert_eq!(field.index, relation, "index of {name}");
    }
    let author = meta.field_by_name("maybe_author").unwrap();
    assert_eq!((author.references.unwrap())().table, "author");
    assert_eq!(meta.table, "everything");
    assert_eq!(meta.name, "Everything");
    assert_eq!(meta.primary_key().column, "id");
    assert!(meta.primary_key().auto_increment);

    // Each field gets a column constant of the field's own type.
    let _: Column<Everything, bool> = Everything::FLAG;
    let _: Column<Everything, Vec<u8>> = Everything::BYTES;
    let _: Column<Everything, DateTime<Utc>> = Everything::AT;
    let _: Column<Everything, Json<Vec<String>>> = Everything::TAGS;
    let _: Column<Everything, ForeignKey<Author>> = Everything::AUTHOR;
    let _: Column<Everything, Option<ForeignKey<Author>>> = Everything::MAYBE_AUTHOR;
    assert_eq!(Everything::MAYBE_DAY.name(), "maybe_day");
}
