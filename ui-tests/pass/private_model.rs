//! A private model, in a private module, used only through its query API,
//! compiles without a single warning (no dead code reported for generated items).
#![deny(warnings)]

mod store {
    use aksara::prelude::*;

    #[derive(Model)]
    struct Note {
        #[field(primary_key)]
        id: i64,
        #[field(max_length = 80)]
        title: String,
        body: Option<String>,
        #[field(skip)]
        draft: bool,
    }

    pub(crate) fn query() -> String {
        Note::objects()
            .filter(Note::TITLE.icontains("todo") & Note::BODY.is_null(false))
            .to_sql(Backend::Sqlite)
            .sql()
            .to_owned()
    }
}

mod unused {
    use aksara::prelude::*;

    /// Declared and never used at all.
    #[derive(Model)]
    struct Unused {
        #[field(primary_key)]
        id: Uuid,
        name: String,
    }
}

fn main() {
    assert!(store::query().contains("LIKE"), "{}", store::query());
}
