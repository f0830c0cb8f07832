//! Procedural macros of Aksara. Use them through the `aksara` crate, which
//! re-exports them and provides the runtime they expand to.
//!
//! Each entry point below is a few lines calling into its folder:
//! parse (`attrs.rs`) → validate (`validate.rs`) → expand (`expand.rs`), with
//! errors collected in `diagnostics.rs` and reported together.

mod auth_user;
mod diagnostics;
mod guard;
mod model;
mod options;
mod types;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// What `#[derive(Model)]` accepts and generates. Use it through `aksara`, which
/// re-exports it: the examples are on that re-export, `aksara::Model`, where
/// they compile as doctests.
///
/// # Struct options: `#[model(...)]`
///
/// ```text
/// table = "posts"                         table name (default: the struct name in snake_case)
/// unique_together = [["author", "slug"]]  sets of Rust field names unique together
/// indexes = [["published", "created_at"]] sets of Rust field names indexed together
/// crate = "::some::path"                  path of the runtime crate (default: ::aksara)
/// ```
///
/// # Field options: `#[field(...)]`
///
/// ```text
/// primary_key        the key: `i64` (assigned by the database) or `Uuid` (generated); exactly one
/// unique             a unique column
/// case_insensitive   with unique, String only: unique regardless of case (an index on the
///                    lower-cased text, which `iexact` lookups use)
/// index              an indexed column (foreign keys are always indexed)
/// max_length = N     String / Option<String> only; N > 0
/// default = <expr>   value used when a create does not set the field (converted with `Into`)
/// auto_now_add       DateTime<Utc> / Option<DateTime<Utc>> (or an alias; any `AutoNow`
///                    type): set when the row is created
/// auto_now           as auto_now_add: set when the row is created and at every save
/// column = "name"    column name (default: the field name; `<name>_id` for foreign keys)
/// email              String only: validated as an email address
/// url                String only: validated as an http(s) URL
/// skip               not stored; filled with `Default::default()` when read; no other option
/// normalize = path String / Option<String> only: a `fn(&str) -> String` applied to the
///                    value before validation, on create and on save
/// on_delete = "cascade" | "set_null" | "restrict"
///                    ForeignKey only; "set_null" needs Option<ForeignKey<M>>
/// ```
///
/// # Field types
///
/// `bool`, `i16`, `i32`, `i64`, `f32`, `f64`, `String`, `Vec<u8>`, `Uuid`,
/// `DateTime<Utc>`, `NaiveDate`, `serde_json::Value`, `Json<T>`, `ForeignKey<M>`
/// and `Option` of each; any other type must implement `aksara::FieldType`.
/// Types that can never be stored (unsigned integers, `char`, references,
/// tuples, arrays, `Box<T>`, `Vec<T>` other than `Vec<u8>`) are rejected with
/// what to write instead.
///
/// # Generated items
///
/// - one constant per persisted field, `Post::TITLE: Column<Post, String>`;
/// - `Post::objects()`, the query manager;
/// - `PostCreate`, the create builder, with one setter per persisted field and
///   `exec(&db)`;
/// - `impl Model for Post` and the model's registration for migrations.
#[proc_macro_derive(Model, attributes(model, field))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::derive(&input).into()
}

/// What `#[auth_user]` adds to a struct: the AbstractUser fields, derives of
/// `Model`, `Clone` and `Debug` (the password hash prints redacted) and an
/// implementation of `aksara_auth::AuthUser`. Use it through `aksara_auth`,
/// which re-exports it: the examples are on that re-export,
/// `aksara_auth::auth_user`, where they compile as doctests.
///
/// # Added fields, first in the table
///
/// ```text
/// id: Uuid                          primary key, generated on create
/// email: String                     unique regardless of case, validated, at most 254 characters,
///                                   domain lower-cased
/// username: String                  only with login_field = "username": unique, at most 150 characters
/// password: PasswordHash            argon2id; set from a `&str` and hashed when written
/// is_active: bool                   default true
/// is_staff: bool                    default false
/// is_superuser: bool                default false
/// email_verified: bool              default false
/// created_at: DateTime<Utc>         auto_now_add
/// last_login: Option<DateTime<Utc>> set at each login
/// ```
///
/// # Options: `#[auth_user(...)]`
///
/// ```text
/// login_field = "email" | "username"   what `authenticate` looks users up by (default "email")
/// ```
///
/// The struct's own fields take every `#[field(...)]` option of `derive(Model)`,
/// and `#[model(...)]` takes every struct option (the table defaults to the
/// struct name in snake_case).
#[proc_macro_attribute]
pub fn auth_user(args: TokenStream, item: TokenStream) -> TokenStream {
    auth_user::expand(args.into(), item.into()).into()
}

/// How `#[login_required]` guards a handler. Use it through `aksara_auth`,
/// which re-exports it: the examples are on that re-export,
/// `aksara_auth::login_required`, where they compile as doctests.
///
/// The handler keeps its extractors; the guard adds one in front of them, so it
/// refuses the request before any other extractor runs. With
/// `#[axum::debug_handler]`, put the guard above it: the debug check then sees the
/// handler as axum will call it.
#[proc_macro_attribute]
pub fn login_required(args: TokenStream, item: TokenStream) -> TokenStream {
    guard::expand(guard::Requirement::Login, args.into(), item.into()).into()
}

/// As [`macro@login_required`], and an authenticated user who is not staff gets
/// 403 with a JSON body. Use it through `aksara_auth`, where its example
/// compiles as a doctest.
#[proc_macro_attribute]
pub fn staff_required(args: TokenStream, item: TokenStream) -> TokenStream {
    guard::expand(guard::Requirement::Staff, args.into(), item.into()).into()
}

/// As [`macro@login_required`], and an authenticated user who is not a superuser
/// gets 403 with a JSON body. Use it through `aksara_auth`, where its example
/// compiles as a doctest.
#[proc_macro_attribute]
pub fn superuser_required(args: TokenStream, item: TokenStream) -> TokenStream {
    guard::expand(guard::Requirement::Superuser, args.into(), item.into()).into()
}
