//! The expansion only names items by absolute path, so a crate that shadows the
//! prelude's `Result`, `Option`, `Ok`, `Err`, `Some`, `None`, `Vec`, `Box` and
//! `Default` (and the prelude traits, and modules named `core` and `std`) at
//! module level still derives models.
#![deny(warnings)]
// The shadowing items below are never used; that is the point.
#![allow(dead_code)]

use aksara::prelude::*;

pub struct Result;
pub struct Option;
pub struct Vec;
pub struct Box;
pub struct Default;
pub struct Ok;
pub struct Err;
pub struct Some;
pub struct None;
pub mod core {}
pub mod std {}

pub trait Into {}
pub trait IntoIterator {}
pub trait Iterator {}
pub trait Clone {}
pub trait Sized {}
pub trait Send {}

#[derive(Model)]
pub struct Author {
    #[field(primary_key)]
    pub id: i64,
    #[field(max_length = 100, default = "anonymous")]
    pub name: String,
}

#[derive(Model)]
#[model(table = "posts", unique_together = [["author", "title"]], indexes = [["rating"]])]
pub struct Post {
    #[field(primary_key)]
    pub id: Uuid,
    #[field(max_length = 200)]
    pub title: String,
    pub author: ForeignKey<Author>,
    #[field(on_delete = "set_null")]
    pub editor: ::core::option::Option<ForeignKey<Author>>,
    #[field(default = 1.5)]
    pub rating: ::core::option::Option<f64>,
    pub body: ::std::vec::Vec<u8>,
    #[field(auto_now)]
    pub updated_at: DateTime<Utc>,
    #[field(skip)]
    pub cache: ::core::option::Option<String>,
}

fn main() {
    assert_eq!(<Post as Model>::META.fields.len(), 7);
    assert_eq!(<Author as Model>::META.table, "author");
    let _ = Post::objects()
        .filter(Post::RATING.is_null(false) & Post::TITLE.contains("x"))
        .select_related(Post::EDITOR)
        .to_sql(Backend::MySql);
}
