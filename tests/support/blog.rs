//! The models most tests share: a small blog.

use aksara::prelude::*;

/// A writer.
#[derive(Model, Debug, Clone)]
#[model(table = "authors")]
pub struct Author {
    /// Auto-increment key.
    #[field(primary_key)]
    pub id: i64,
    /// Display name.
    #[field(max_length = 100)]
    pub name: String,
    /// Unique, validated address.
    #[field(unique, email)]
    pub email: String,
    /// Optional home page, validated.
    #[field(url)]
    pub website: Option<String>,
}

/// An article by an author.
#[derive(Model, Debug, Clone)]
#[model(table = "posts", unique_together = [["author", "slug"]], indexes = [["published", "created_at"]])]
pub struct Post {
    /// Generated on create.
    #[field(primary_key)]
    pub id: Uuid,
    /// Headline.
    #[field(max_length = 200)]
    pub title: String,
    /// Unique per author.
    #[field(max_length = 200)]
    pub slug: String,
    /// Text.
    pub body: String,
    /// Who wrote it (deleting the author deletes the post).
    pub author: ForeignKey<Author>,
    /// Who edited it (deleting the editor clears the field).
    #[field(on_delete = "set_null")]
    pub editor: Option<ForeignKey<Author>>,
    /// Visible to readers.
    #[field(default = false)]
    pub published: bool,
    /// Average score.
    pub rating: Option<f64>,
    /// Set at creation.
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
    /// Set at every save.
    #[field(auto_now)]
    pub updated_at: DateTime<Utc>,
    /// Not stored.
    #[field(skip)]
    pub cached_html: Option<String>,
}

/// A label with a use counter.
#[derive(Model, Debug, Clone)]
#[model(table = "tags")]
pub struct Tag {
    /// Auto-increment key.
    #[field(primary_key)]
    pub id: i64,
    /// Unique name.
    #[field(unique, max_length = 50)]
    pub name: String,
    /// How often it is used.
    #[field(default = 0)]
    pub uses: i64,
}

/// A tree of categories; a parent with children cannot be deleted.
#[derive(Model, Debug, Clone)]
#[model(table = "categories")]
pub struct Category {
    /// Auto-increment key.
    #[field(primary_key)]
    pub id: i64,
    /// Name.
    #[field(index)]
    pub name: String,
    /// The parent category.
    #[field(on_delete = "restrict")]
    pub parent: Option<ForeignKey<Category>>,
}

/// Creates an author with a unique email.
///
/// # Panics
/// When the insert fails.
pub async fn author(db: &Db, name: &str) -> Author {
    Author::objects()
        .create()
        .name(name)
        .email(format!("{}@example.com", name.to_lowercase()))
        .exec(db)
        .await
        .expect("create author")
}

/// Creates a post by `author`.
///
/// # Panics
/// When the insert fails.
pub async fn post(db: &Db, author: &Author, title: &str) -> Post {
    Post::objects()
        .create()
        .title(title)
        .slug(title.to_lowercase().replace(' ', "-"))
        .body("…")
        .author(author)
        .exec(db)
        .await
        .expect("create post")
}
