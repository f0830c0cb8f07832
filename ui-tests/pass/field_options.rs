//! Every field option and model option, and foreign keys with each `on_delete`
//! rule, land in `META` as written.
#![deny(warnings)]

use std::collections::HashMap;

use aksara::prelude::*;
use aksara::{OnDelete, SqlType};

#[derive(Model, Debug, Clone)]
#[model(table = "blog_authors")]
pub struct Author {
    #[field(primary_key)]
    pub id: Uuid,
    #[field(unique, max_length = 100)]
    pub name: String,
    #[field(email)]
    pub email: String,
    #[field(url)]
    pub website: Option<String>,
    #[field(email, max_length = 254)]
    pub backup_email: Option<String>,
}

#[derive(Model, Debug, Clone)]
#[model(
    table = "posts",
    unique_together = [["author", "slug"], ["title", "status"]],
    indexes = [["published", "created_at"], ["rating"]]
)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(max_length = 200, index)]
    pub title: String,
    #[field(unique, column = "url_slug")]
    pub slug: String,
    #[field(max_length = 20, default = "draft")]
    pub status: String,
    #[field(default = false)]
    pub published: bool,
    #[field(default = 3)]
    pub priority: i32,
    #[field(default = 2.5)]
    pub rating: f64,
    #[field(default = Some(7))]
    pub views: Option<i64>,
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
    #[field(auto_now)]
    pub updated_at: DateTime<Utc>,
    #[field(auto_now)]
    pub touched_at: Option<DateTime<Utc>>,
    #[field(auto_now_add)]
    pub first_seen: Option<DateTime<Utc>>,
    pub author: ForeignKey<Author>,
    #[field(on_delete = "cascade")]
    pub reviewer: ForeignKey<Author>,
    #[field(on_delete = "restrict", unique)]
    pub owner: ForeignKey<Author>,
    #[field(on_delete = "set_null")]
    pub editor: Option<ForeignKey<Author>>,
    #[field(on_delete = "restrict")]
    pub approver: Option<ForeignKey<Author>>,
    #[field(on_delete = "cascade", column = "sponsor_ref")]
    pub sponsor: Option<ForeignKey<Author>>,
    pub translator: Option<ForeignKey<Author>>,
    #[field(column = "kind")]
    pub r#type: String,
    #[field(skip)]
    pub rendered: Option<String>,
    #[field(skip)]
    pub cache: HashMap<String, Vec<u64>>,
}

/// No `table`: the struct name in snake_case.
#[derive(Model, Debug, Clone)]
pub struct BlogPostTag {
    #[field(primary_key)]
    pub id: i64,
}

fn main() {
    let author = <Author as Model>::META;
    assert_eq!(author.table, "blog_authors");
    let id = author.primary_key();
    assert!(id.primary_key && !id.auto_increment && !id.is_required());
    assert_eq!(id.sql_type, SqlType::Uuid);
    let name = author.field_by_name("name").unwrap();
    assert!(name.unique && !name.index && name.is_required());
    assert_eq!(name.max_length, Some(100));
    assert!(author.field_by_name("email").unwrap().email);
    let website = author.field_by_name("website").unwrap();
    assert!(website.url && website.nullable && !website.is_required());
    let backup = author.field_by_name("backup_email").unwrap();
    assert!(backup.email && backup.nullable);
    assert_eq!(backup.max_length, Some(254));

    let post = <Post as Model>::META;
    assert_eq!(post.name, "Post");
    assert_eq!(post.table, "posts");
    assert_eq!(
        post.unique_together,
        &[&["author", "slug"][..], &["title", "status"][..]]
    );
    assert_eq!(
        post.indexes,
        &[&["published", "created_at"][..], &["rating"][..]]
    );
    // Skipped fields have no column.
    assert_eq!(post.fields.len(), 20);
    assert!(post.field_by_name("rendered").is_none());
    assert!(post.field_by_name("cache").is_none());

    let pk = post.primary_key();
    assert_eq!((pk.name, pk.column), ("id", "id"));
    assert!(pk.primary_key && pk.auto_increment && !pk.is_required());

    let title = post.field_by_name("title").unwrap();
    assert!(title.index && !title.unique);
    assert_eq!(title.max_length, Some(200));

    let slug = post.field_by_name("slug").unwrap();
    assert_eq!(slug.column, "url_slug");
    assert!(slug.unique);
    assert!(post.field_by_column("slug").is_none());
    assert_eq!(post.field_by_column("url_slug").unwrap().name, "slug");

    let kind = post.field_by_name("type").unwrap();
    assert_eq!(kind.column, "kind");
    assert_eq!(Post::TYPE.name(), "type");

    for (field, default) in [
        ("status", Value::Text("draft".into())),
        ("published", Value::Bool(false)),
        ("priority", Value::I32(3)),
        ("rating", Value::F64(2.5)),
        ("views", Value::I64(7)),
    ] {
        let index = post.fields.iter().position(|f| f.name == field).unwrap();
        assert!(post.fields[index].has_default, "{field}");
        assert!(!post.fields[index].is_required(), "{field}");
        assert_eq!(<Post as Model>::default_value(index), Some(default));
    }
    assert_eq!(<Post as Model>::default_value(0), None);

    let created = post.field_by_name("created_at").unwrap();
    assert!(created.auto_now_add && !created.auto_now && !created.is_required());
    let updated = post.field_by_name("updated_at").unwrap();
    assert!(updated.auto_now && !updated.auto_now_add);
    let touched = post.field_by_name("touched_at").unwrap();
    assert!(touched.auto_now && touched.nullable);
    assert!(post.field_by_name("first_seen").unwrap().auto_now_add);

    for (field, column, rule, nullable) in [
        ("author", "author_id", OnDelete::Cascade, false),
        ("reviewer", "reviewer_id", OnDelete::Cascade, false),
        ("owner", "owner_id", OnDelete::Restrict, false),
        ("editor", "editor_id", OnDelete::SetNull, true),
        ("approver", "approver_id", OnDelete::Restrict, true),
        ("sponsor", "sponsor_ref", OnDelete::Cascade, true),
        ("translator", "translator_id", OnDelete::Cascade, true),
    ] {
        let meta = post.field_by_name(field).unwrap();
        assert_eq!(meta.column, column);
        assert_eq!(meta.on_delete, rule, "{field}");
        assert_eq!(meta.nullable, nullable, "{field}");
        // Keyed by the referenced model's `Uuid`; foreign keys are always indexed.
        assert_eq!(meta.sql_type, SqlType::Uuid);
        assert!(meta.index);
        assert_eq!((meta.references.unwrap())().table, "blog_authors");
    }
    assert!(post.field_by_name("owner").unwrap().unique);
    assert!(post.field_by_name("author").unwrap().is_required());

    assert_eq!(<BlogPostTag as Model>::META.table, "blog_post_tag");

    // The create builder has one setter per persisted field.
    let jane = Author {
        id: Uuid::nil(),
        name: "Jane".into(),
        email: "jane@example.com".into(),
        website: None,
        backup_email: None,
    };
    let _create: PostCreate = Post::objects()
        .create()
        .title("Hello")
        .slug(String::from("hello"))
        .r#type("article")
        .author(&jane)
        .reviewer(ForeignKey::from_key(Uuid::nil()))
        .owner(&jane)
        .editor(&jane)
        .views(None::<i64>)
        .rating(4.5)
        .published(true);
}
