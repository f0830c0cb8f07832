//! To-many relations: many-to-many fields (join table, add/remove/set/clear,
//! count/contains/all, filtering across), reverse foreign keys, `related_name`
//! accessors and `prefetch_related` (one query per relation), on every backend.

use aksara::prelude::*;
use aksara_tests::{capture_logs, captured_logs, on_each_database};

/// A label.
#[derive(Model, Debug, Clone)]
#[model(table = "rel_tags")]
pub struct Tag {
    /// Key.
    #[field(primary_key)]
    pub id: i64,
    /// Unique name.
    #[field(unique, max_length = 50)]
    pub name: String,
}

/// A writer, whose articles `prefetch_related` can load.
#[derive(Model, Debug, Clone)]
#[model(table = "rel_writers")]
pub struct Writer {
    /// Key.
    #[field(primary_key)]
    pub id: i64,
    /// Name.
    #[field(max_length = 100)]
    pub name: String,
    /// Filled by `prefetch_related(Article::WRITER.prefetch_as(…))`.
    #[field(skip)]
    pub articles: Related<Article>,
}

/// An article by a writer, with tags.
#[derive(Model, Debug, Clone)]
#[model(table = "rel_articles")]
pub struct Article {
    /// Generated key.
    #[field(primary_key)]
    pub id: Uuid,
    /// Headline.
    #[field(max_length = 200)]
    pub title: String,
    /// Who wrote it; `writer.articles()`.
    #[field(related_name = "articles")]
    pub writer: ForeignKey<Writer>,
    /// Labels; `tag.articles()`.
    #[field(related_name = "articles")]
    pub tags: ManyToMany<Tag>,
}

/// People who know each other: a many-to-many to the same model, through a named table.
#[derive(Model, Debug, Clone)]
#[model(table = "rel_people")]
pub struct Person {
    /// Key.
    #[field(primary_key)]
    pub id: i64,
    /// Name.
    #[field(max_length = 50)]
    pub name: String,
    /// Whom they know.
    #[field(through_table = "rel_acquaintances")]
    pub knows: ManyToMany<Person>,
}

async fn tag(db: &Db, name: &str) -> Tag {
    Tag::objects()
        .create()
        .name(name)
        .exec(db)
        .await
        .expect("tag")
}

async fn writer(db: &Db, name: &str) -> Writer {
    Writer::objects()
        .create()
        .name(name)
        .exec(db)
        .await
        .expect("writer")
}

async fn article(db: &Db, by: &Writer, title: &str) -> Article {
    Article::objects()
        .create()
        .title(title)
        .writer(by)
        .exec(db)
        .await
        .expect("article")
}

fn sorted_titles(articles: &[Article]) -> Vec<String> {
    let mut titles: Vec<String> = articles.iter().map(|a| a.title.clone()).collect();
    titles.sort();
    titles
}

fn names(tags: &[Tag]) -> Vec<String> {
    let mut names: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn many_to_many_add_remove_set_clear_count_contains() {
    on_each_database(async |db, l| {
        let jane = writer(&db, "Jane").await;
        let post = article(&db, &jane, "Hello").await;
        let (rust, sql, web) = (
            tag(&db, "rust").await,
            tag(&db, "sql").await,
            tag(&db, "web").await,
        );
        let tags = Article::TAGS.of(&post);

        tags.add(&db, [&rust, &sql]).await.expect("add");
        tags.add(&db, [&rust])
            .await
            .expect("adding again is a no-op");
        assert_eq!(tags.count(&db).await.unwrap(), 2, "{l}");
        assert!(tags.contains(&db, &rust).await.unwrap(), "{l}");
        assert!(!tags.contains(&db, &web).await.unwrap(), "{l}");
        assert_eq!(
            names(&tags.all().all(&db).await.unwrap()),
            ["rust", "sql"],
            "{l}"
        );

        assert_eq!(tags.remove(&db, [&rust, &web]).await.unwrap(), 1, "{l}");
        assert_eq!(names(&tags.all().all(&db).await.unwrap()), ["sql"], "{l}");

        tags.set(&db, [&web, &rust]).await.expect("set");
        assert_eq!(
            names(&tags.all().all(&db).await.unwrap()),
            ["rust", "web"],
            "{l}"
        );
        tags.set(&db, []).await.expect("set to nothing");
        assert_eq!(tags.count(&db).await.unwrap(), 0, "{l}");

        tags.add(&db, [&rust, &sql]).await.unwrap();
        assert_eq!(tags.clear(&db).await.unwrap(), 2, "{l}");
        assert_eq!(
            Tag::objects().count(&db).await.unwrap(),
            3,
            "{l}: tags stay"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn filtering_across_a_many_to_many_and_its_reverse() {
    on_each_database(async |db, l| {
        let jane = writer(&db, "Jane").await;
        let (a, b, c) = (
            article(&db, &jane, "a").await,
            article(&db, &jane, "b").await,
            article(&db, &jane, "c").await,
        );
        let (rust, sql) = (tag(&db, "rust").await, tag(&db, "sql").await);
        Article::TAGS.of(&a).add(&db, [&rust, &sql]).await.unwrap();
        Article::TAGS.of(&b).add(&db, [&rust]).await.unwrap();
        let _ = c;

        let tagged = Article::objects()
            .filter(Article::TAGS.contains(&rust))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(sorted_titles(&tagged), ["a", "b"], "{l}");
        let both = Article::objects()
            .filter(Article::TAGS.contains(&rust) & Article::TAGS.contains(&sql))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(sorted_titles(&both), ["a"], "{l}");
        let untagged = Article::objects()
            .exclude(Article::TAGS.contains_any([&rust, &sql]))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(sorted_titles(&untagged), ["c"], "{l}");
        // Across a join too, and in a write.
        let joined = Article::objects()
            .select_related(Article::WRITER)
            .filter(Article::TAGS.contains(&sql))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(joined[0].writer.get().unwrap().name, "Jane", "{l}");

        assert_eq!(
            sorted_titles(&rust.articles().all(&db).await.unwrap()),
            ["a", "b"],
            "{l}"
        );
        assert_eq!(
            Article::TAGS.reverse(&sql).count(&db).await.unwrap(),
            1,
            "{l}"
        );

        let removed = Article::objects()
            .filter(Article::TAGS.contains(&sql))
            .delete(&db)
            .await
            .unwrap();
        assert_eq!(removed, 1, "{l}");
        assert_eq!(
            rust.articles().count(&db).await.unwrap(),
            1,
            "{l}: the link cascaded away"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reverse_foreign_key_and_related_name() {
    on_each_database(async |db, l| {
        let jane = writer(&db, "Jane").await;
        let joe = writer(&db, "Joe").await;
        article(&db, &jane, "one").await;
        article(&db, &jane, "two").await;
        article(&db, &joe, "three").await;
        assert_eq!(
            sorted_titles(&jane.articles().all(&db).await.unwrap()),
            ["one", "two"],
            "{l}"
        );
        assert_eq!(
            Article::WRITER.reverse(&joe).count(&db).await.unwrap(),
            1,
            "{l}"
        );
        let newest = jane
            .articles()
            .filter(Article::TITLE.startswith("t"))
            .first(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(newest.title, "two", "{l}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_to_an_unsaved_row_is_a_foreign_key_error() {
    on_each_database(async |db, l| {
        let jane = writer(&db, "Jane").await;
        let post = article(&db, &jane, "x").await;
        let ghost = Tag {
            id: 999_999,
            name: "ghost".into(),
        };
        let err = Article::TAGS
            .of(&post)
            .add(&db, [&ghost])
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                aksara::Error::ForeignKey {
                    model: "Article.tags",
                    ..
                }
            ),
            "{l}: {err:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_many_to_many_to_the_same_model_through_a_named_table() {
    on_each_database(async |db, l| {
        let join = Person::KNOWS.join_table();
        assert_eq!(join.table, "rel_acquaintances");
        assert_eq!(
            (join.fields[1].column, join.fields[2].column),
            ("from_person_id", "to_person_id")
        );
        let ann = Person::objects()
            .create()
            .name("Ann")
            .exec(&db)
            .await
            .unwrap();
        let bob = Person::objects()
            .create()
            .name("Bob")
            .exec(&db)
            .await
            .unwrap();
        Person::KNOWS.of(&ann).add(&db, [&bob]).await.unwrap();
        assert!(
            Person::KNOWS.of(&ann).contains(&db, &bob).await.unwrap(),
            "{l}"
        );
        assert!(
            !Person::KNOWS.of(&bob).contains(&db, &ann).await.unwrap(),
            "{l}: one way"
        );
        assert_eq!(
            Person::KNOWS
                .reverse(&bob)
                .first(&db)
                .await
                .unwrap()
                .unwrap()
                .name,
            "Ann",
            "{l}"
        );
    })
    .await;
}

/// The `aksara::sql` statements logged since `capture_logs`.
fn statements() -> Vec<String> {
    captured_logs()
        .lines()
        .filter(|line| line.contains("aksara::sql"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn prefetch_related_runs_one_query_per_relation_whatever_the_number_of_parents() {
    for test_db in aksara_tests::databases().await {
        let (db, l) = (&test_db.db, test_db.label);
        let tags = [tag(db, "a").await, tag(db, "b").await, tag(db, "c").await];
        let mut writers = Vec::new();
        for w in 0..4 {
            let author = writer(db, &format!("w{w}")).await;
            for n in 0..w {
                let post = article(db, &author, &format!("w{w}-{n}")).await;
                Article::TAGS
                    .of(&post)
                    .add(db, &tags[..n % 3 + 1])
                    .await
                    .unwrap();
            }
            writers.push(author);
        }

        capture_logs();
        let articles = Article::objects()
            .prefetch_related(Article::TAGS)
            .all(db)
            .await
            .unwrap();
        let run = statements();
        assert_eq!(run.len(), 2, "{l}: {run:#?}");
        assert!(run[1].contains(" IN ("), "{l}: {}", run[1]);
        assert_eq!(articles.len(), 6, "{l}");
        for article in &articles {
            let n: usize = article.title.rsplit('-').next().unwrap().parse().unwrap();
            let loaded = article.tags.get().expect("prefetched");
            assert_eq!(loaded.len(), n % 3 + 1, "{l}: {}", article.title);
        }

        capture_logs();
        let loaded = Writer::objects()
            .prefetch_related(Article::WRITER.prefetch_as(|w| &mut w.articles))
            .order_by(Writer::NAME.asc())
            .all(db)
            .await
            .unwrap();
        assert_eq!(statements().len(), 2, "{l}");
        let counts: Vec<usize> = loaded
            .iter()
            .map(|w| w.articles.get().expect("prefetched").len())
            .collect();
        assert_eq!(counts, [0, 1, 2, 3], "{l}");

        capture_logs();
        let one = Writer::objects()
            .prefetch_related(Article::WRITER.prefetch_as(|w| &mut w.articles))
            .get(db, Writer::NAME.eq("w2"))
            .await
            .unwrap();
        assert_eq!(one.articles.get().unwrap().len(), 2, "{l}");
        assert_eq!(statements().len(), 2, "{l}: get");

        capture_logs();
        let none = Writer::objects()
            .filter(Writer::NAME.eq("nobody"))
            .prefetch_related(Article::WRITER.prefetch_as(|w| &mut w.articles))
            .all(db)
            .await
            .unwrap();
        assert!(none.is_empty());
        assert_eq!(statements().len(), 1, "{l}: no parents, no prefetch query");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_creates_the_join_table_with_its_constraints() {
    on_each_database(async |db, l| {
        let schema = db.schema_sql().unwrap().join("\n");
        let create = schema
            .lines()
            .find(|sql| sql.contains("TABLE IF NOT EXISTS") && sql.contains("rel_articles_tags"))
            .unwrap_or_else(|| panic!("{l}: no join table in {schema}"));
        for expected in [
            "rel_articles_tags_article_id_fkey",
            "rel_articles_tags_tag_id_fkey",
            "rel_articles_tags_article_id_tag_id_key",
            "ON DELETE CASCADE",
        ] {
            assert!(create.contains(expected), "{l}: {expected} in {create}");
        }
        let articles = schema
            .lines()
            .find(|sql| {
                sql.contains("EXISTS `rel_articles` (") || sql.contains("EXISTS \"rel_articles\" (")
            })
            .unwrap_or_else(|| panic!("{l}: no article table in {schema}"));
        assert!(
            !articles.contains("tags"),
            "{l}: no column for the field: {articles}"
        );
        db.migrate().await.expect("idempotent");
    })
    .await;
}
