//! Writing: create builders and their validation, defaults and automatic fields,
//! `save`/`refresh`/`delete`, bulk `update`/`delete`, constraint errors,
//! `on_delete` rules, `get_or_create` and `increment_or_create` under a race,
//! `bulk_create` and transactions.

use aksara::Error;
use aksara::prelude::*;
use aksara_tests::blog::{Author, Category, Post, Tag, author, post};
use aksara_tests::on_each_database;

#[tokio::test(flavor = "multi_thread")]
async fn create_fills_defaults_keys_and_timestamps() {
    on_each_database(async |db, l| {
        let jane = author(&db, "Jane").await;
        assert!(jane.id > 0, "{l}: auto-increment key assigned");
        let second = author(&db, "Joe").await;
        assert!(second.id > jane.id, "{l}");
        let before = Utc::now() - aksara::chrono::Duration::seconds(5);
        let p = post(&db, &jane, "Hello").await;
        assert!(!p.id.is_nil(), "{l}: uuid generated");
        assert!(!p.published, "{l}: default");
        assert!(p.rating.is_none(), "{l}: optional defaults to None");
        assert!(
            p.created_at > before && p.updated_at > before,
            "{l}: auto_now(_add)"
        );
        assert!(p.cached_html.is_none(), "{l}: skip field");
        let stored = Post::objects()
            .get(&db, Post::ID.eq(p.id))
            .await
            .expect("get");
        assert_eq!(stored.title, "Hello", "{l}");
        let tag = Tag::objects()
            .create()
            .name("rust")
            .exec(&db)
            .await
            .expect("tag");
        assert_eq!(tag.uses, 0, "{l}: integer default");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn create_validates_every_field_before_sql() {
    on_each_database(async |db, l| {
        let result = Author::objects()
            .create()
            .name("x".repeat(101))
            .email("not-an-email")
            .website("javascript:alert(1)")
            .exec(&db)
            .await;
        let Err(Error::Validation(errors)) = result else {
            panic!("{l}: expected validation error, got {result:?}")
        };
        assert_eq!(
            errors.fields().collect::<Vec<_>>(),
            ["email", "name", "website"],
            "{l}"
        );
        assert!(
            errors.get("name").unwrap()[0].contains("at most 100 characters"),
            "{l}"
        );

        let missing = Post::objects().create().title("t").exec(&db).await;
        let Err(Error::Validation(errors)) = missing else {
            panic!("{l}: expected missing fields, got {missing:?}")
        };
        assert_eq!(
            errors.fields().collect::<Vec<_>>(),
            ["author", "body", "slug"],
            "{l}: every missing field"
        );
        assert_eq!(
            errors.get("body").unwrap(),
            ["this field is required"],
            "{l}"
        );
        assert_eq!(
            Author::objects().count(&db).await.expect("count"),
            0,
            "{l}: nothing written"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn save_refresh_and_delete_instances() {
    on_each_database(async |db, l| {
        let jane = author(&db, "Jane").await;
        let mut p = post(&db, &jane, "Draft").await;
        let created = p.updated_at;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        p.title = "Final".into();
        p.save(&db).await.expect("save");
        assert!(p.updated_at > created, "{l}: auto_now refreshed");
        let mut copy = Post::objects()
            .get(&db, Post::ID.eq(p.id))
            .await
            .expect("get");
        assert_eq!(copy.title, "Final", "{l}");
        assert_eq!(
            copy.created_at.timestamp_micros(),
            p.created_at.timestamp_micros(),
            "{l}: microseconds kept"
        );
        p.rating = Some(3.0);
        p.save(&db).await.expect("save");
        copy.refresh(&db).await.expect("refresh");
        assert_eq!(copy.rating, Some(3.0), "{l}");

        // Saving unchanged values is still an update, not a duplicate insert.
        copy.save(&db).await.expect("save unchanged");
        assert_eq!(Post::objects().count(&db).await.expect("count"), 1, "{l}");

        p.title = "x".repeat(201);
        assert!(
            matches!(p.save(&db).await, Err(Error::Validation(_))),
            "{l}: save validates"
        );

        // A new instance with an unused key is inserted by save.
        let mut fresh = Author {
            id: 0,
            name: "New".into(),
            email: "new@example.com".into(),
            website: None,
        };
        fresh.save(&db).await.expect("insert by save");
        assert!(fresh.id > 0, "{l}: key assigned");
        assert!(fresh.delete(&db).await.expect("delete"), "{l}");
        assert!(
            !fresh.delete(&db).await.expect("delete again"),
            "{l}: nothing left to delete"
        );
        assert!(
            matches!(fresh.refresh(&db).await, Err(Error::NotFound { .. })),
            "{l}"
        );
    })
    .await;
}

/// An alias of `DateTime<Utc>`: `auto_now` and `auto_now_add` check their field's
/// type through `aksara::AutoNow`, not by its name, so the alias is filled like the
/// type it stands for.
pub type Stamp = DateTime<Utc>;

/// A model whose automatic timestamps are written through [`Stamp`].
#[derive(Model, Debug, Clone)]
#[model(table = "stamped_notes")]
pub struct StampedNote {
    /// Auto-increment key.
    #[field(primary_key)]
    pub id: i64,
    /// Some text to change between saves.
    #[field(max_length = 50)]
    pub text: String,
    /// Set at creation.
    #[field(auto_now_add)]
    pub created: Stamp,
    /// Set at creation and at every save.
    #[field(auto_now)]
    pub updated: Stamp,
    /// Optional, set to `Some(now)` at creation and at every save.
    #[field(auto_now)]
    pub seen: Option<Stamp>,
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_now_through_an_alias_is_set_on_create_and_moves_on_save() {
    on_each_database(async |db, l| {
        let before = Utc::now() - aksara::chrono::Duration::seconds(5);
        let mut note = StampedNote::objects()
            .create()
            .text("first")
            .exec(&db)
            .await
            .expect("create without any timestamp given");
        assert!(note.created > before, "{l}: auto_now_add set");
        assert_eq!(note.updated, note.created, "{l}: one now per row");
        assert_eq!(note.seen, Some(note.created), "{l}: optional auto_now set");
        let stored = StampedNote::objects()
            .get(&db, StampedNote::ID.eq(note.id))
            .await
            .expect("get");
        assert_eq!(
            stored.created.timestamp_micros(),
            note.created.timestamp_micros(),
            "{l}: the stored value is the one returned"
        );
        assert_eq!(
            stored.seen.map(|at| at.timestamp_micros()),
            Some(note.created.timestamp_micros()),
            "{l}"
        );

        let created = note.created;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        note.text = "second".into();
        note.seen = None;
        note.save(&db).await.expect("save");
        assert!(note.updated > created, "{l}: auto_now moved on save");
        assert_eq!(
            note.seen,
            Some(note.updated),
            "{l}: optional auto_now refilled"
        );
        assert_eq!(note.created, created, "{l}: auto_now_add kept on save");

        let stored = StampedNote::objects()
            .get(&db, StampedNote::ID.eq(note.id))
            .await
            .expect("get after save");
        assert_eq!(stored.text, "second", "{l}");
        assert_eq!(
            stored.updated.timestamp_micros(),
            note.updated.timestamp_micros(),
            "{l}: the new time was written"
        );
        assert_eq!(
            stored.created.timestamp_micros(),
            created.timestamp_micros(),
            "{l}: the creation time was not rewritten"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_update_and_delete() {
    on_each_database(async |db, l| {
        let jane = author(&db, "Jane").await;
        for title in ["A", "B", "C"] {
            post(&db, &jane, title).await;
        }
        let changed = Post::objects()
            .filter(Post::TITLE.is_in(["A", "B"]))
            .update(&db, [Post::PUBLISHED.set(true), Post::RATING.set(5.0)])
            .await
            .expect("update");
        assert_eq!(changed, 2, "{l}");
        assert_eq!(
            Post::objects()
                .filter(Post::PUBLISHED.eq(true))
                .count(&db)
                .await
                .expect("count"),
            2,
            "{l}"
        );
        let cleared = Post::objects()
            .filter(Post::TITLE.eq("A"))
            .update(&db, Post::RATING.set(None::<f64>))
            .await;
        assert_eq!(cleared.expect("set null"), 1, "{l}");
        let too_long = Post::objects()
            .update(&db, Post::TITLE.set("x".repeat(300)))
            .await;
        assert!(
            matches!(too_long, Err(Error::Validation(_))),
            "{l}: update validates"
        );
        let sliced = Post::objects().limit(1).delete(&db).await;
        assert!(
            matches!(sliced, Err(Error::InvalidQuery(_))),
            "{l}: sliced delete refused"
        );
        let deleted = Post::objects()
            .filter(Post::PUBLISHED.eq(false))
            .delete(&db)
            .await
            .expect("delete");
        assert_eq!(deleted, 1, "{l}");
        assert_eq!(Post::objects().count(&db).await.expect("count"), 2, "{l}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn constraint_violations_name_model_and_field() {
    on_each_database(async |db, l| {
        let jane = author(&db, "Jane").await;
        let dup = Author::objects()
            .create()
            .name("Other")
            .email("jane@example.com")
            .exec(&db)
            .await;
        match dup {
            Err(Error::Unique { model, field }) => {
                assert_eq!((model, field.as_str()), ("Author", "email"), "{l}")
            }
            other => panic!("{l}: expected Unique, got {other:?}"),
        }
        post(&db, &jane, "Same").await;
        let dup_pair = Post::objects()
            .create()
            .title("Same")
            .slug("same")
            .body("b")
            .author(&jane)
            .exec(&db)
            .await;
        match dup_pair {
            Err(Error::Unique { model, field }) => {
                assert_eq!((model, field.as_str()), ("Post", "author, slug"), "{l}")
            }
            other => panic!("{l}: expected Unique on unique_together, got {other:?}"),
        }
        let ghost = ForeignKey::<Author>::from_key(987_654);
        let orphan = Post::objects()
            .create()
            .title("t")
            .slug("t")
            .body("b")
            .author(ghost)
            .exec(&db)
            .await;
        assert!(
            matches!(orphan, Err(Error::ForeignKey { model: "Post", .. })),
            "{l}: {orphan:?}"
        );
        let tag = Tag::objects()
            .create()
            .name("rust")
            .exec(&db)
            .await
            .expect("tag");
        let clash = Tag::objects()
            .filter(Tag::ID.ne(tag.id))
            .update(&db, Tag::NAME.set("rust"))
            .await;
        assert!(clash.is_ok(), "{l}: no other row, nothing clashes");
        Tag::objects()
            .create()
            .name("go")
            .exec(&db)
            .await
            .expect("tag");
        let clash = Tag::objects()
            .filter(Tag::NAME.eq("go"))
            .update(&db, Tag::NAME.set("rust"))
            .await;
        assert!(
            matches!(clash, Err(Error::Unique { model: "Tag", .. })),
            "{l}: update clash {clash:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn on_delete_cascade_set_null_and_restrict() {
    on_each_database(async |db, l| {
        let jane = author(&db, "Jane").await;
        let eddie = author(&db, "Eddie").await;
        let mut p = post(&db, &jane, "Edited").await;
        p.editor = Some(ForeignKey::from(&eddie));
        p.save(&db).await.expect("save");
        eddie.delete(&db).await.expect("delete editor");
        p.refresh(&db).await.expect("refresh");
        assert!(p.editor.is_none(), "{l}: set_null");
        jane.delete(&db).await.expect("delete author");
        assert_eq!(
            Post::objects().count(&db).await.expect("count"),
            0,
            "{l}: cascade"
        );

        let root = Category::objects()
            .create()
            .name("root")
            .exec(&db)
            .await
            .expect("root");
        Category::objects()
            .create()
            .name("child")
            .parent(&root)
            .exec(&db)
            .await
            .expect("child");
        let blocked = root.delete(&db).await;
        assert!(
            matches!(
                blocked,
                Err(Error::ForeignKey {
                    model: "Category",
                    ..
                })
            ),
            "{l}: restrict {blocked:?}"
        );
        assert_eq!(
            Category::objects().count(&db).await.expect("count"),
            2,
            "{l}: nothing deleted"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn get_or_create_is_safe_under_concurrent_callers() {
    on_each_database(async |db, l| {
        let (first, created) = Tag::objects()
            .get_or_create(&db, Tag::NAME.eq("solo"), |new| new.uses(7))
            .await
            .expect("get_or_create");
        assert!(
            created && first.uses == 7 && first.name == "solo",
            "{l}: lookup equalities and defaults applied"
        );
        let (again, created) = Tag::objects()
            .get_or_create(&db, Tag::NAME.eq("solo"), |new| new)
            .await
            .expect("again");
        assert!(!created && again.id == first.id, "{l}");

        let callers = (0..8).map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                Tag::objects()
                    .get_or_create(&db, Tag::NAME.eq("raced"), |new| new.uses(1))
                    .await
            })
        });
        let results = futures_util::future::join_all(callers).await;
        let mut created_count = 0;
        let mut ids = std::collections::BTreeSet::new();
        for result in results {
            let (tag, created) = result
                .expect("task")
                .unwrap_or_else(|err| panic!("{l}: a racer failed: {err}"));
            created_count += usize::from(created);
            ids.insert(tag.id);
        }
        assert_eq!(created_count, 1, "{l}: exactly one caller created the row");
        assert_eq!(ids.len(), 1, "{l}: every caller got the same row");
    })
    .await;
}

/// A fixed-window counter, as `increment_or_create` is meant for.
#[derive(Model, Debug, Clone)]
#[model(table = "write_counters")]
pub struct Counter {
    /// The row's id.
    #[field(primary_key)]
    pub id: i64,
    /// Which counter: the conflict target.
    #[field(unique, max_length = 40)]
    pub name: String,
    /// Hits in the window.
    pub hits: i64,
    /// When the window began.
    pub window_start: DateTime<Utc>,
    /// When it ends: the reset condition's column.
    pub expires_at: DateTime<Utc>,
}

async fn count_hit(db: &Db, name: &str, window: aksara::chrono::Duration) -> Counter {
    let now = Utc::now();
    Counter::objects()
        .increment_or_create(
            db,
            Counter::NAME.eq(name),
            Counter::HITS,
            Counter::EXPIRES_AT.lte(now),
            |new| new.window_start(now).expires_at(now + window),
        )
        .await
        .expect("increment_or_create")
}

#[tokio::test(flavor = "multi_thread")]
async fn increment_or_create_counts_resets_and_loses_no_hit_under_a_race() {
    on_each_database(async |db, l| {
        let hour = aksara::chrono::Duration::hours(1);
        let first = count_hit(&db, "a", hour).await;
        assert_eq!(first.hits, 1, "{l}: inserted with one hit");
        let second = count_hit(&db, "a", hour).await;
        assert_eq!(
            (
                second.hits,
                second.id,
                second.window_start,
                second.expires_at
            ),
            (2, first.id, first.window_start, first.expires_at),
            "{l}: counted in the same window, nothing else changed"
        );
        assert_eq!(count_hit(&db, "b", hour).await.hits, 1, "{l}: keys apart");

        // A window that has passed starts again, every column from the new row
        // (on MySQL the condition's column is assigned last for this to hold).
        let short = aksara::chrono::Duration::milliseconds(200);
        count_hit(&db, "c", short).await;
        let before = count_hit(&db, "c", short).await;
        assert_eq!(before.hits, 2, "{l}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let after = count_hit(&db, "c", short).await;
        assert_eq!(after.hits, 1, "{l}: reset once expired");
        assert!(
            after.window_start > before.window_start && after.expires_at > before.expires_at,
            "{l}: the window moved with the count: {before:?} -> {after:?}"
        );

        let racers = (0..50).map(|_| {
            let db = db.clone();
            tokio::spawn(async move { count_hit(&db, "raced", hour).await.hits })
        });
        let mut seen: Vec<i64> = futures_util::future::join_all(racers)
            .await
            .into_iter()
            .map(|hits| hits.expect("task"))
            .collect();
        seen.sort_unstable();
        assert_eq!(
            seen,
            (1..=50).collect::<Vec<_>>(),
            "{l}: each racer saw its own count"
        );
        let stored = Counter::objects()
            .get(&db, Counter::NAME.eq("raced"))
            .await
            .expect("the raced row");
        assert_eq!(stored.hits, 50, "{l}: no hit lost");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn increment_or_create_refuses_a_lookup_that_names_no_unique_key() {
    on_each_database(async |db, l| {
        let now = Utc::now();
        let not_unique = Counter::objects()
            .increment_or_create(&db, Counter::HITS.eq(3), Counter::HITS, Counter::EXPIRES_AT.lte(now), |new| new)
            .await;
        let Err(Error::InvalidQuery(message)) = not_unique else {
            panic!("{l}: expected InvalidQuery, got {not_unique:?}")
        };
        assert!(message.contains("unique key"), "{l}: {message}");
        let two_columns = Counter::objects()
            .increment_or_create(
                &db,
                Counter::NAME.eq("x"),
                Counter::HITS,
                Counter::EXPIRES_AT.lte(now) | Counter::HITS.gt(9),
                |new| new,
            )
            .await;
        assert!(
            matches!(&two_columns, Err(Error::InvalidQuery(message)) if message.contains("one column")),
            "{l}: {two_columns:?}"
        );
        let filtered = Counter::objects()
            .filter(Counter::HITS.gt(0))
            .increment_or_create(&db, Counter::NAME.eq("x"), Counter::HITS, Counter::EXPIRES_AT.lte(now), |new| new)
            .await;
        assert!(matches!(filtered, Err(Error::InvalidQuery(_))), "{l}");
        let incomplete = Counter::objects()
            .increment_or_create(&db, Counter::NAME.eq("x"), Counter::HITS, Counter::EXPIRES_AT.lte(now), |new| new)
            .await;
        assert!(matches!(incomplete, Err(Error::Validation(_))), "{l}: {incomplete:?}");
        assert_eq!(Counter::objects().count(&db).await.expect("count"), 0, "{l}: nothing written");
    })
    .await;
}

/// Regression: on SQLite a one-row `bulk_create` (or a last chunk of one row)
/// was sent without `RETURNING` yet read as if it had one, and came back with key 0.
#[tokio::test(flavor = "multi_thread")]
async fn bulk_create_of_one_row_returns_its_key() {
    on_each_database(async |db, l| {
        let tags = Tag::objects()
            .bulk_create(&db, [Tag::objects().create().name("only")])
            .await
            .expect("bulk_create");
        let stored = Tag::objects()
            .get(&db, Tag::NAME.eq("only"))
            .await
            .expect("get");
        assert_ne!(tags[0].id, 0, "{l}: a key was assigned");
        assert_eq!(tags[0].id, stored.id, "{l}: the key of the stored row");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_create_inserts_all_or_reports_every_bad_row() {
    on_each_database(async |db, l| {
        let tags = Tag::objects()
            .bulk_create(
                &db,
                (0..5).map(|i| Tag::objects().create().name(format!("t{i}"))),
            )
            .await
            .expect("bulk_create");
        assert_eq!(tags.len(), 5, "{l}");
        let mut ids: Vec<i64> = tags.iter().map(|t| t.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 5, "{l}: every row got its own key");
        assert_eq!(Tag::objects().count(&db).await.expect("count"), 5, "{l}");
        let stored = Tag::objects()
            .get(&db, Tag::NAME.eq("t3"))
            .await
            .expect("get");
        assert_eq!(stored.id, tags[3].id, "{l}: keys match the rows");

        let jane = author(&db, "Jane").await;
        let posts = Post::objects()
            .bulk_create(
                &db,
                (0..3).map(|i| {
                    Post::objects()
                        .create()
                        .title(format!("p{i}"))
                        .slug(format!("p{i}"))
                        .body("b")
                        .author(&jane)
                }),
            )
            .await
            .expect("bulk posts");
        assert_eq!(posts.len(), 3, "{l}");

        let bad = Tag::objects()
            .bulk_create(
                &db,
                [
                    Tag::objects().create().name("ok"),
                    Tag::objects().create().name("x".repeat(60)),
                ],
            )
            .await;
        let Err(Error::Validation(errors)) = bad else {
            panic!("{l}: expected validation error, got {bad:?}")
        };
        assert_eq!(
            errors.fields().collect::<Vec<_>>(),
            ["1.name"],
            "{l}: row index and field"
        );
        assert_eq!(
            Tag::objects().count(&db).await.expect("count"),
            5,
            "{l}: nothing written"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn transactions_commit_or_roll_back() {
    on_each_database(async |db, l| {
        let tx = db.begin().await.expect("begin");
        Author::objects()
            .create()
            .name("Jane")
            .email("jane@example.com")
            .exec(&tx)
            .await
            .expect("in tx");
        assert_eq!(
            Author::objects().count(&tx).await.expect("count in tx"),
            1,
            "{l}"
        );
        tx.rollback().await.expect("rollback");
        assert_eq!(
            Author::objects().count(&db).await.expect("count"),
            0,
            "{l}: rolled back"
        );

        let tx = db.begin().await.expect("begin");
        let kept = Author::objects()
            .create()
            .name("Jane")
            .email("jane@example.com")
            .exec(&tx)
            .await
            .expect("in tx");
        Post::objects()
            .create()
            .title("t")
            .slug("t")
            .body("b")
            .author(&kept)
            .exec(&tx)
            .await
            .expect("post in tx");
        tx.commit().await.expect("commit");
        assert_eq!(
            Author::objects().count(&db).await.expect("count"),
            1,
            "{l}: committed"
        );
        assert_eq!(
            Post::objects().count(&db).await.expect("count"),
            1,
            "{l}: committed"
        );
    })
    .await;
}
