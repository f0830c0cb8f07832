//! Reading: every lookup, ordering and slicing, `get`'s errors, `count`/`exists`,
//! and relations (`select_related`, `fetch`), on every backend.

use aksara::prelude::*;
use aksara_tests::blog::{Author, Post, author, post};
use aksara_tests::on_each_database;

/// Matching titles, sorted in Rust (collations order mixed case differently).
async fn titles(db: &Db, filter: Filter<Post>) -> Vec<String> {
    let posts = Post::objects().filter(filter).all(db).await.expect("query");
    let mut titles: Vec<String> = posts.into_iter().map(|p| p.title).collect();
    titles.sort();
    titles
}

/// Three posts: "Alpha rust" (rated 4.5, published), "beta Rust" (unrated), "Gamma_100%" (rated 2).
async fn seed(db: &Db) -> Author {
    let jane = author(db, "Jane").await;
    let mut alpha = post(db, &jane, "Alpha rust").await;
    alpha.rating = Some(4.5);
    alpha.published = true;
    alpha.save(db).await.expect("save");
    post(db, &jane, "beta Rust").await;
    let mut gamma = post(db, &jane, "Gamma_100%").await;
    gamma.rating = Some(2.0);
    gamma.save(db).await.expect("save");
    jane
}

#[tokio::test(flavor = "multi_thread")]
async fn comparison_lookups() {
    on_each_database(async |db, l| {
        seed(&db).await;
        assert_eq!(
            titles(&db, Post::TITLE.eq("beta Rust")).await,
            ["beta Rust"],
            "{l} eq"
        );
        assert_eq!(
            titles(&db, Post::TITLE.ne("beta Rust")).await,
            ["Alpha rust", "Gamma_100%"],
            "{l} ne"
        );
        assert_eq!(
            titles(&db, Post::RATING.gt(2.0)).await,
            ["Alpha rust"],
            "{l} gt"
        );
        assert_eq!(
            titles(&db, Post::RATING.gte(2.0)).await,
            ["Alpha rust", "Gamma_100%"],
            "{l} gte"
        );
        assert_eq!(
            titles(&db, Post::RATING.lt(4.5)).await,
            ["Gamma_100%"],
            "{l} lt"
        );
        assert_eq!(
            titles(&db, Post::RATING.lte(4.5)).await,
            ["Alpha rust", "Gamma_100%"],
            "{l} lte"
        );
        assert_eq!(
            titles(&db, Post::TITLE.is_in(["Alpha rust", "nope"])).await,
            ["Alpha rust"],
            "{l} in"
        );
        assert!(
            titles(&db, Post::TITLE.is_in(Vec::<String>::new()))
                .await
                .is_empty(),
            "{l} empty in"
        );
        assert_eq!(
            titles(&db, Post::RATING.is_null(true)).await,
            ["beta Rust"],
            "{l} is_null"
        );
        assert_eq!(
            titles(&db, Post::RATING.is_null(false)).await.len(),
            2,
            "{l} is not null"
        );
        assert_eq!(
            titles(&db, Post::PUBLISHED.eq(true)).await,
            ["Alpha rust"],
            "{l} bool"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn string_lookups_follow_django_case_rules() {
    on_each_database(async |db, l| {
        seed(&db).await;
        assert_eq!(
            titles(&db, Post::TITLE.contains("Rust")).await,
            ["beta Rust"],
            "{l} contains is case-sensitive"
        );
        assert_eq!(
            titles(&db, Post::TITLE.icontains("RUST")).await,
            ["Alpha rust", "beta Rust"],
            "{l} icontains"
        );
        assert_eq!(
            titles(&db, Post::TITLE.startswith("Alpha")).await,
            ["Alpha rust"],
            "{l} startswith"
        );
        assert!(
            titles(&db, Post::TITLE.startswith("alpha"))
                .await
                .is_empty(),
            "{l} startswith is case-sensitive"
        );
        assert_eq!(
            titles(&db, Post::TITLE.endswith("Rust")).await,
            ["beta Rust"],
            "{l} endswith"
        );
        assert_eq!(
            titles(&db, Post::TITLE.iexact("BETA rust")).await,
            ["beta Rust"],
            "{l} iexact"
        );
        // Wildcards in user input match literally.
        assert_eq!(
            titles(&db, Post::TITLE.contains("_100%")).await,
            ["Gamma_100%"],
            "{l} literal % and _"
        );
        assert!(
            titles(&db, Post::TITLE.contains("%")).await.len() == 1,
            "{l} lone %"
        );
        assert!(
            titles(&db, Post::TITLE.contains("Gamm_")).await.is_empty(),
            "{l} _ is not a wildcard"
        );
        assert!(
            titles(&db, Post::TITLE.icontains("*")).await.is_empty(),
            "{l} * is not a wildcard"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn combinators_and_exclude() {
    on_each_database(async |db, l| {
        seed(&db).await;
        let either = Post::TITLE.startswith("Alpha") | Post::TITLE.startswith("Gamma");
        assert_eq!(
            titles(&db, either.clone()).await,
            ["Alpha rust", "Gamma_100%"],
            "{l} or"
        );
        assert_eq!(
            titles(&db, either & Post::RATING.lt(3.0)).await,
            ["Gamma_100%"],
            "{l} and"
        );
        assert_eq!(
            titles(&db, !Post::TITLE.startswith("Alpha")).await,
            ["Gamma_100%", "beta Rust"],
            "{l} not"
        );
        let excluded = Post::objects()
            .exclude(Post::PUBLISHED.eq(true))
            .count(&db)
            .await
            .expect("count");
        assert_eq!(excluded, 2, "{l} exclude");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ordering_and_slicing() {
    on_each_database(async |db, l| {
        seed(&db).await;
        let by_rating = Post::objects()
            .filter(Post::RATING.is_null(false))
            .order_by(Post::RATING.desc())
            .all(&db)
            .await
            .expect("query");
        assert_eq!(
            by_rating
                .iter()
                .map(|p| p.title.as_str())
                .collect::<Vec<_>>(),
            ["Alpha rust", "Gamma_100%"],
            "{l}"
        );
        let rated = Post::objects().filter(Post::RATING.is_null(false));
        let page = rated
            .clone()
            .order_by(Post::RATING.desc())
            .limit(1)
            .offset(1)
            .all(&db)
            .await
            .expect("page");
        assert_eq!(page.len(), 1, "{l} limit");
        assert_eq!(page[0].title, "Gamma_100%", "{l} offset");
        let tail = rated
            .clone()
            .order_by(Post::RATING.desc())
            .offset(1)
            .all(&db)
            .await
            .expect("offset only");
        assert_eq!(tail.len(), 1, "{l} offset without limit");
        let first = rated
            .order_by(Post::RATING.asc())
            .first(&db)
            .await
            .expect("first");
        assert_eq!(
            first.map(|p| p.title).as_deref(),
            Some("Gamma_100%"),
            "{l} first"
        );
        assert!(
            Post::objects()
                .filter(Post::TITLE.eq("none"))
                .first(&db)
                .await
                .expect("first")
                .is_none(),
            "{l}"
        );
        let sliced = Post::objects()
            .order_by(Post::TITLE.asc())
            .limit(2)
            .count(&db)
            .await
            .expect("count slice");
        assert_eq!(sliced, 2, "{l} count of a slice");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn get_count_exists() {
    on_each_database(async |db, l| {
        seed(&db).await;
        let alpha = Post::objects()
            .get(&db, Post::TITLE.eq("Alpha rust"))
            .await
            .expect("get");
        assert_eq!(alpha.rating, Some(4.5), "{l}");
        let missing = Post::objects().get(&db, Post::TITLE.eq("nope")).await;
        assert!(
            matches!(missing, Err(aksara::Error::NotFound { model: "Post" })),
            "{l}: {missing:?}"
        );
        let many = Post::objects().get(&db, Post::RATING.is_null(false)).await;
        assert!(
            matches!(
                many,
                Err(aksara::Error::MultipleObjectsReturned { model: "Post" })
            ),
            "{l}: {many:?}"
        );
        assert_eq!(Post::objects().count(&db).await.expect("count"), 3, "{l}");
        assert!(
            Post::objects()
                .filter(Post::RATING.gt(4.0))
                .exists(&db)
                .await
                .expect("exists"),
            "{l}"
        );
        assert!(
            !Post::objects()
                .filter(Post::RATING.gt(5.0))
                .exists(&db)
                .await
                .expect("exists"),
            "{l}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn select_related_loads_in_one_query_and_fetch_loads_lazily() {
    on_each_database(async |db, l| {
        let jane = seed(&db).await;
        let mut edited = Post::objects()
            .get(&db, Post::TITLE.eq("beta Rust"))
            .await
            .expect("get");
        let editor = author(&db, "Eddie").await;
        edited.editor = Some(ForeignKey::from(&editor));
        edited.save(&db).await.expect("save");

        let posts = Post::objects()
            .select_related(Post::AUTHOR)
            .select_related(Post::EDITOR)
            .order_by(Post::TITLE.asc())
            .all(&db)
            .await
            .expect("select_related");
        assert_eq!(posts.len(), 3, "{l}: LEFT JOIN keeps posts without editor");
        for p in &posts {
            assert_eq!(p.author.get().map(|a| a.name.as_str()), Some("Jane"), "{l}");
        }
        let beta = posts.iter().find(|p| p.title == "beta Rust").expect("beta");
        let loaded_editor = beta
            .editor
            .as_ref()
            .and_then(ForeignKey::get)
            .expect("editor loaded");
        assert_eq!(loaded_editor.name, "Eddie", "{l}");
        assert!(
            posts
                .iter()
                .filter(|p| p.title != "beta Rust")
                .all(|p| p.editor.is_none()),
            "{l}"
        );

        let mut lazy = Post::objects()
            .get(&db, Post::TITLE.eq("Alpha rust"))
            .await
            .expect("get");
        assert!(
            lazy.author.get().is_none(),
            "{l}: not loaded without select_related"
        );
        assert_eq!(*lazy.author.key(), jane.id, "{l}");
        let fetched = lazy.author.fetch(&db).await.expect("fetch");
        assert_eq!(fetched.email, "jane@example.com", "{l}");
        assert!(lazy.author.get().is_some(), "{l}: fetch keeps the instance");

        let by_author = Post::objects()
            .filter(Post::AUTHOR.eq(&jane))
            .count(&db)
            .await
            .expect("fk filter");
        assert_eq!(by_author, 3, "{l}: filter on a foreign key by instance");
    })
    .await;
}

#[tokio::test]
async fn cancelled_queries_never_lose_an_in_memory_database() {
    // `sqlite::memory:` lives in its one connection: a request dropped in the
    // middle of a query (a client that went away) must not cost the database.
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    db.execute_raw("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
        .await
        .unwrap();
    for round in 0..200_u64 {
        let slow = db.execute_raw(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) \
             SELECT count(*) FROM n",
        );
        let _ = tokio::time::timeout(std::time::Duration::from_micros(50 + round * 10), slow).await;
    }
    db.execute_raw("INSERT INTO kept (id) VALUES (1)")
        .await
        .expect("the in-memory database survived the cancelled queries");
}
