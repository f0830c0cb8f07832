//! The text options accept a field whose type is an alias of `String` (or an
//! `Option` of one): the derive checks the type with a `TextColumn` bound, not by
//! its name.
#![deny(warnings)]

use aksara::prelude::*;

pub type Slug = String;

/// Lower-cases a login before it is validated and stored.
pub fn lowercase(text: &str) -> String {
    text.to_lowercase()
}

#[derive(Model, Debug, Clone)]
pub struct Page {
    #[field(primary_key)]
    pub id: i64,
    #[field(unique, case_insensitive, max_length = 50, normalize = lowercase)]
    pub slug: Slug,
    #[field(email)]
    pub contact: Option<Slug>,
    #[field(url, max_length = 2000)]
    pub canonical: Slug,
}

fn main() {
    let meta = <Page as Model>::META;
    let slug = meta.field_by_name("slug").unwrap();
    assert_eq!(slug.max_length, Some(50));
    assert!(slug.unique && slug.case_insensitive);
    assert_eq!((slug.normalize.unwrap())("About-Us"), "about-us");
    let contact = meta.field_by_name("contact").unwrap();
    assert!(contact.email && contact.nullable);
    let canonical = meta.field_by_name("canonical").unwrap();
    assert!(canonical.url);
    assert_eq!(canonical.max_length, Some(2000));

    // The alias is `String`, so its columns have the string lookups too.
    let _ = Page::SLUG.startswith("about");
}
