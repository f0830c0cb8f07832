//! `#[auth_user]` names everything by absolute path, so a crate that shadows the
//! prelude's `Result`, `Option`, `Ok`, `Err`, `Some`, `None`, `Vec`, `String`, `Box`
//! and `Default` (and the prelude traits, and modules named `core` and `std`) at
//! module level still declares a user model.
#![deny(warnings)]
// The shadowing items below are never used; that is the point.
#![allow(dead_code)]

use aksara_auth::prelude::*;

pub struct Result;
pub struct Option;
pub struct Vec;
pub struct String;
pub struct Box;
pub struct Default;
pub struct Ok;
pub struct Err;
pub struct Some;
pub struct None;
pub struct Uuid;
pub struct DateTime;
pub struct Utc;
pub struct PasswordHash;
pub mod core {}
pub mod std {}
pub mod aksara {}

pub trait Into {}
pub trait IntoIterator {}
pub trait Iterator {}
pub trait Clone {}
pub trait Sized {}
pub trait Send {}

#[auth_user]
#[model(table = "users")]
pub struct User {
    #[field(max_length = 100)]
    pub name: ::std::string::String,
    pub bio: ::core::option::Option<::std::string::String>,
}

#[auth_user(login_field = "username")]
pub struct Member {
    pub first_name: ::core::option::Option<::std::string::String>,
}

fn main() {
    assert_eq!(<User as Model>::META.table, "users");
    assert_eq!(<Member as Model>::META.table, "member");
}
