//! The model API end to end on SQLite: declare, migrate, create, query, relate,
//! update, delete, transact.
//!
//! How to run: `cargo run --example blog` (writes `blog.db` in the current
//! directory; `DATABASE_URL=postgres://…` or `mysql://…` to use another backend).
//! `RUST_LOG=aksara::sql=debug` prints every statement.

use aksara::prelude::*;

#[derive(Model, Debug, Clone)]
#[model(table = "blog_authors")]
struct Author {
    #[field(primary_key)]
    id: i64,
    #[field(max_length = 100)]
    name: String,
    #[field(unique, email)]
    email: String,
}

#[derive(Model, Debug, Clone)]
#[model(table = "blog_posts", unique_together = [["author", "slug"]])]
struct Post {
    #[field(primary_key)]
    id: Uuid,
    #[field(max_length = 200)]
    title: String,
    slug: String,
    body: String,
    author: ForeignKey<Author>,
    #[field(default = false)]
    published: bool,
    rating: Option<f64>,
    tags: Json<Vec<String>>,
    #[field(auto_now_add)]
    created_at: DateTime<Utc>,
    #[field(auto_now)]
    updated_at: DateTime<Utc>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://blog.db".into());
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    // Start from a clean slate so the example can run again.
    Post::objects().delete(&db).await?;
    Author::objects().delete(&db).await?;

    let jane = Author::objects()
        .create()
        .name("Jane")
        .email("jane@example.com")
        .exec(&db)
        .await?;
    for (title, rating) in [
        ("Hello Rust", Some(4.5)),
        ("Typed queries", None),
        ("Draft", Some(2.0)),
    ] {
        Post::objects()
            .create()
            .title(title)
            .slug(title.to_lowercase().replace(' ', "-"))
            .body("…")
            .author(&jane)
            .rating(rating)
            .tags(Json(vec!["rust".to_owned()]))
            .exec(&db)
            .await?;
    }

    // Validation happens before any SQL and names every bad field.
    if let Err(aksara::Error::Validation(errors)) = Author::objects()
        .create()
        .name("x".repeat(200))
        .email("nope")
        .exec(&db)
        .await
    {
        println!("refused: {errors}");
    }
    // Constraint violations are typed.
    if let Err(err @ aksara::Error::Unique { .. }) = Author::objects()
        .create()
        .name("Jane again")
        .email("jane@example.com")
        .exec(&db)
        .await
    {
        println!("refused: {err}");
    }

    let published = Post::objects()
        .filter(Post::PUBLISHED.eq(true))
        .update(&db, Post::PUBLISHED.set(true))
        .await?;
    let count = Post::objects()
        .exclude(Post::TITLE.eq("Draft"))
        .update(&db, Post::PUBLISHED.set(true))
        .await?;
    println!("published {count} posts ({published} already were)");

    let posts = Post::objects()
        .filter(Post::PUBLISHED.eq(true) & (Post::RATING.gte(4.0) | Post::RATING.is_null(true)))
        .select_related(Post::AUTHOR)
        .order_by(Post::CREATED_AT.desc())
        .all(&db)
        .await?;
    for post in &posts {
        let author = post.author.get().map_or("?", |a| a.name.as_str());
        println!(
            "{:<14} by {author} rating {:?} tags {:?}",
            post.title, post.rating, post.tags.0
        );
    }

    let (tagged, created) = Author::objects()
        .get_or_create(&db, Author::EMAIL.eq("joe@example.com"), |new| {
            new.name("Joe")
        })
        .await?;
    println!("get_or_create: {} (created: {created})", tagged.name);

    let tx = db.begin().await?;
    let mut draft = Post::objects().get(&tx, Post::SLUG.eq("draft")).await?;
    draft.title = "Draft, revised".into();
    draft.save(&tx).await?;
    tx.commit().await?;
    let author = draft.author.fetch(&db).await?;
    println!("{} was revised; its author is {}", draft.title, author.name);

    let removed = Post::objects()
        .filter(Post::RATING.lt(3.0))
        .delete(&db)
        .await?;
    println!(
        "removed {removed}; {} posts left",
        Post::objects().count(&db).await?
    );
    Ok(())
}
