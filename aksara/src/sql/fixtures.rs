//! Models for the renderers' unit tests, written as the derive would write them.

use crate::db::Statement;
use crate::model::{FieldMeta, ModelMeta, OnDelete};
use crate::{Backend, SqlType, Value};

/// Every backend, in the order the expected texts are listed.
pub(super) const BACKENDS: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::MySql];

const fn auto_key() -> FieldMeta {
    FieldMeta {
        primary_key: true,
        auto_increment: true,
        ..FieldMeta::new("id", "id", SqlType::I64)
    }
}

/// `tags`: an auto-increment key, a unique bounded name, a counter.
pub(super) static TAGS: ModelMeta = ModelMeta {
    name: "Tag",
    table: "tags",
    fields: &[
        auto_key(),
        FieldMeta {
            unique: true,
            max_length: Some(50),
            ..FieldMeta::new("name", "name", SqlType::Text)
        },
        FieldMeta {
            has_default: true,
            ..FieldMeta::new("uses", "uses", SqlType::I64)
        },
    ],
    primary_key: 0,
    unique_together: &[],
    indexes: &[],
};

fn authors() -> &'static ModelMeta {
    &AUTHORS
}

/// `authors`: unbounded text, a case-insensitive unique email.
pub(super) static AUTHORS: ModelMeta = ModelMeta {
    name: "Author",
    table: "authors",
    fields: &[
        auto_key(),
        FieldMeta::new("name", "name", SqlType::Text),
        FieldMeta {
            unique: true,
            case_insensitive: true,
            max_length: Some(120),
            ..FieldMeta::new("email", "email", SqlType::Text)
        },
    ],
    primary_key: 0,
    unique_together: &[],
    indexes: &[],
};

/// `posts`: a generated UUID key, two foreign keys to `authors` (one nullable),
/// a composite unique and a composite index.
pub(super) static POSTS: ModelMeta = ModelMeta {
    name: "Post",
    table: "posts",
    fields: &[
        FieldMeta {
            primary_key: true,
            ..FieldMeta::new("id", "id", SqlType::Uuid)
        },
        FieldMeta::new("slug", "slug", SqlType::Text),
        FieldMeta {
            references: Some(authors),
            ..FieldMeta::new("author", "author_id", SqlType::I64)
        },
        FieldMeta {
            nullable: true,
            references: Some(authors),
            on_delete: OnDelete::SetNull,
            ..FieldMeta::new("editor", "editor_id", SqlType::I64)
        },
        FieldMeta {
            has_default: true,
            ..FieldMeta::new("published", "published", SqlType::Bool)
        },
        FieldMeta {
            nullable: true,
            ..FieldMeta::new("created_at", "created_at", SqlType::DateTime)
        },
    ],
    primary_key: 0,
    unique_together: &[&["author", "slug"]],
    indexes: &[&["published", "created_at"]],
};

/// `keys`: nothing but a UUID key.
pub(super) static KEYS: ModelMeta = ModelMeta {
    name: "Key",
    table: "keys",
    fields: &[FieldMeta {
        primary_key: true,
        ..FieldMeta::new("code", "code", SqlType::Uuid)
    }],
    primary_key: 0,
    unique_together: &[],
    indexes: &[],
};

/// The text and the bound values of `statement`.
pub(super) fn parts(statement: &Statement) -> (&str, &[Value]) {
    (&statement.sql, &statement.args)
}

/// Asserts that `render` gives `expected[i]` on `BACKENDS[i]`, with `args` bound
/// in that order.
pub(super) fn assert_renders(
    render: impl Fn(Backend) -> Statement,
    expected: [&str; 3],
    args: &[Value],
) {
    for (backend, sql) in BACKENDS.into_iter().zip(expected) {
        let statement = render(backend);
        assert_eq!(parts(&statement), (sql, args), "{backend:?}");
    }
}
