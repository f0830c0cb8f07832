//! Schema creation: idempotent, dependency-ordered, constraints and indexes named
//! as documented.

use aksara_tests::blog::{Category, Post};
use aksara_tests::on_each_database;

#[tokio::test(flavor = "multi_thread")]
async fn migrate_is_idempotent() {
    on_each_database(async |db, l| {
        // `databases()` migrated once already. A row written before the next
        // migrations must survive them: a drop-and-recreate would pass `Ok`.
        let kept = Category::objects()
            .create()
            .name("kept")
            .exec(&db)
            .await
            .unwrap_or_else(|err| panic!("{l}: insert: {err}"));
        db.migrate()
            .await
            .unwrap_or_else(|err| panic!("{}: second migrate: {err}", l));
        db.migrate()
            .await
            .unwrap_or_else(|err| panic!("{}: third migrate: {err}", l));
        let _ = Post::objects().count(&db).await.expect("table usable");
        let found = Category::objects()
            .get(&db, Category::ID.eq(kept.id))
            .await
            .unwrap_or_else(|err| panic!("{l}: the row written before migrate() is gone: {err}"));
        assert_eq!(found.name, "kept", "{l}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn referenced_tables_come_first() {
    on_each_database(async |db, l| {
        let statements = db.schema_sql().expect("schema");
        let position = |table: &str| {
            statements
                .iter()
                .position(|sql| {
                    sql.starts_with("CREATE TABLE")
                        && sql.contains(&format!("EXISTS {}", quote(l, table)))
                })
                .unwrap_or_else(|| panic!("{}: no CREATE TABLE for {table}", l))
        };
        assert!(position("authors") < position("posts"), "{}", l);
        let posts = &statements[position("posts")];
        assert!(
            posts.contains("posts_author_id_slug_key"),
            "{}: unique_together constraint: {posts}",
            l
        );
        assert!(
            posts.contains("posts_author_id_fkey"),
            "{}: foreign key: {posts}",
            l
        );
        assert!(
            posts.contains("ON DELETE SET NULL"),
            "{}: set_null: {posts}",
            l
        );
        let all = statements.join("\n");
        assert!(
            all.contains("posts_published_created_at_idx"),
            "{}: composite index",
            l
        );
        assert!(all.contains("categories_name_idx"), "{}: field index", l);
    })
    .await;
}

fn quote(label: &str, ident: &str) -> String {
    if label == "mysql" {
        format!("`{ident}`")
    } else {
        format!("\"{ident}\"")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn native_column_types_per_backend() {
    on_each_database(async |db, l| {
        let statements = db.schema_sql().expect("schema").join("\n");
        match l {
            "postgres" => {
                for native in ["UUID", "TIMESTAMPTZ", "VARCHAR(200)"] {
                    assert!(statements.contains(native), "postgres uses {native}");
                }
            }
            "mysql" => {
                for native in ["BINARY(16)", "DATETIME(6)", "VARCHAR(200)", "utf8mb4_bin"] {
                    assert!(statements.contains(native), "mysql uses {native}");
                }
            }
            _ => assert!(
                statements.contains("INTEGER PRIMARY KEY AUTOINCREMENT"),
                "sqlite rowid keys"
            ),
        }
    })
    .await;
}
