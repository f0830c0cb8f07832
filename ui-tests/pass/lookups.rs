//! The typed lookups compile for each field type: comparisons, `is_in`, `is_null`
//! (optional columns), the text lookups (string columns), `&`, `|`, `!`,
//! `order_by`, `set` and `select_related`.
#![deny(warnings)]

use aksara::prelude::*;

#[derive(Model, Debug, Clone)]
pub struct Author {
    #[field(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Model, Debug, Clone)]
pub struct Post {
    #[field(primary_key)]
    pub id: Uuid,
    pub flag: bool,
    pub small: i16,
    pub medium: i32,
    pub large: i64,
    pub single: f32,
    pub double: f64,
    pub title: String,
    pub bytes: Vec<u8>,
    pub at: DateTime<Utc>,
    pub day: NaiveDate,
    pub tags: Json<Vec<String>>,
    pub author: ForeignKey<Author>,
    pub subtitle: Option<String>,
    pub rating: Option<f64>,
    pub count: Option<i32>,
    pub published_on: Option<NaiveDate>,
    pub checked_at: Option<DateTime<Utc>>,
    pub reference: Option<Uuid>,
    pub extra: Option<Json<Vec<String>>>,
    pub editor: Option<ForeignKey<Author>>,
}

/// Every comparison on one column, combined with `&`, `|` and `!`.
macro_rules! compare_all {
    ($column:expr, $value:expr) => {
        ($column.eq($value) & $column.ne($value))
            | !($column.gt($value) & $column.gte($value))
            | ($column.lt($value) | $column.lte($value))
            | $column.is_in([$value, $value])
    };
}

fn main() {
    let jane = Author {
        id: 1,
        name: "Jane".into(),
    };
    let now: DateTime<Utc> = DateTime::UNIX_EPOCH;
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let id = Uuid::nil();
    let title = String::from("Hello");

    let filters: Vec<Filter<Post>> = vec![
        compare_all!(Post::ID, id),
        compare_all!(Post::FLAG, true),
        compare_all!(Post::SMALL, 1_i16),
        compare_all!(Post::MEDIUM, 1),
        compare_all!(Post::LARGE, 1),
        compare_all!(Post::SINGLE, 1.5_f32),
        compare_all!(Post::DOUBLE, 1.5),
        compare_all!(Post::TITLE, "Hello"),
        compare_all!(Post::TITLE, &title),
        compare_all!(Post::TITLE, title.clone()),
        compare_all!(Post::BYTES, &b"raw"[..]),
        compare_all!(Post::BYTES, vec![1_u8, 2]),
        compare_all!(Post::AT, now),
        compare_all!(Post::DAY, day),
        compare_all!(Post::TAGS, Json(vec!["a".to_owned()])),
        compare_all!(Post::AUTHOR, &jane),
        compare_all!(Post::AUTHOR, ForeignKey::<Author>::from_key(1)),
        // Optional columns take the inner type or an `Option`.
        compare_all!(Post::SUBTITLE, "sub"),
        compare_all!(Post::SUBTITLE, Some("sub".to_owned())),
        compare_all!(Post::RATING, 4.0),
        compare_all!(Post::RATING, Some(4.0)),
        compare_all!(Post::COUNT, 3),
        compare_all!(Post::PUBLISHED_ON, day),
        compare_all!(Post::CHECKED_AT, now),
        compare_all!(Post::REFERENCE, id),
        compare_all!(Post::EXTRA, Json(vec!["b".to_owned()])),
        compare_all!(Post::EDITOR, &jane),
        // `is_null` exists on optional columns only.
        Post::SUBTITLE.is_null(true) | Post::RATING.is_null(false),
        Post::COUNT.is_null(true) & Post::PUBLISHED_ON.is_null(true),
        Post::CHECKED_AT.is_null(false) & Post::REFERENCE.is_null(true),
        Post::EXTRA.is_null(true) | Post::EDITOR.is_null(true),
        // Text lookups exist on string columns only.
        Post::TITLE.contains("a") & Post::TITLE.icontains("b") & Post::TITLE.startswith("c"),
        Post::TITLE.endswith("d") | Post::TITLE.iexact("e"),
        Post::SUBTITLE.contains("a") & Post::SUBTITLE.icontains("b"),
        Post::SUBTITLE.startswith("c") | Post::SUBTITLE.endswith("d") | !Post::SUBTITLE.iexact("e"),
        Post::ID.is_in(Vec::<Uuid>::new()),
    ];
    assert_eq!(filters.len(), 36);

    let query = Post::objects()
        .filter(Post::FLAG.eq(true) & (Post::RATING.gte(4.0) | Post::RATING.is_null(true)))
        .exclude(Post::TITLE.startswith("Draft"))
        .order_by([Post::AT.desc(), Post::TITLE.asc()])
        .order_by(Post::LARGE.asc())
        .select_related(Post::AUTHOR)
        .select_related(Post::EDITOR)
        .limit(20)
        .offset(40);
    let sql = query.to_sql(Backend::Sqlite);
    assert!(sql.sql().contains("JOIN"), "{}", sql.sql());
    assert!(sql.sql().contains("LEFT JOIN"), "{}", sql.sql());
    for filter in filters {
        let statement = Post::objects().filter(filter).to_sql(Backend::Postgres);
        assert!(statement.sql().contains("WHERE"), "{}", statement.sql());
    }

    let assignments = [
        Post::FLAG.set(true),
        Post::SMALL.set(2_i16),
        Post::MEDIUM.set(2),
        Post::LARGE.set(2),
        Post::SINGLE.set(2.0_f32),
        Post::DOUBLE.set(2.0),
        Post::TITLE.set("New"),
        Post::BYTES.set(vec![0_u8]),
        Post::AT.set(now),
        Post::DAY.set(day),
        Post::TAGS.set(Json(Vec::new())),
        Post::AUTHOR.set(&jane),
        Post::SUBTITLE.set(None::<String>),
        Post::RATING.set(5.0),
        Post::COUNT.set(Some(1)),
        Post::PUBLISHED_ON.set(None::<NaiveDate>),
        Post::CHECKED_AT.set(now),
        Post::REFERENCE.set(id),
        Post::EXTRA.set(None::<Json<Vec<String>>>),
        Post::EDITOR.set(&jane),
    ];
    assert_eq!(assignments.len(), 20);
}
