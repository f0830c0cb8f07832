//! Checks that `#[auth_user]` sits on a struct it can extend: named fields, no
//! generics, no field that clashes with an injected one, no `#[derive(Model)]`
//! of its own.

use syn::{Fields, Item, ItemStruct};

use super::attrs::{LoginField, Options};
use crate::diagnostics::Ctxt;

/// Fields `#[auth_user]` always adds.
pub(crate) const INJECTED: &[&str] = &[
    "id",
    "email",
    "password",
    "is_active",
    "is_staff",
    "is_superuser",
    "email_verified",
    "created_at",
    "last_login",
];

/// Whether `#[auth_user]` adds a field of this name: the [`INJECTED`] ones, and
/// `username` with `login_field = "username"` (otherwise the struct may have its
/// own `username`).
fn is_injected(options: &Options, name: &str) -> bool {
    INJECTED.contains(&name) || (name == "username" && options.login_field == LoginField::Username)
}

/// The struct to extend, when it is one; errors for everything wrong with it.
pub(crate) fn check(cx: &Ctxt, options: &Options, item: &Item) -> Option<ItemStruct> {
    let item = match item {
        Item::Struct(item) => item,
        Item::Enum(item) => {
            cx.error_spanned_by(
                item.enum_token,
                "`#[auth_user]` goes on a struct with named fields, not an enum",
            );
            return None;
        }
        other => {
            cx.error_spanned_by(other, "`#[auth_user]` goes on a struct with named fields, such as `pub struct User { … }`");
            return None;
        }
    };
    match &item.fields {
        Fields::Named(_) => {}
        Fields::Unnamed(fields) => {
            cx.error_spanned_by(fields, format!("`#[auth_user]` needs named fields: write `struct {} {{ … }}` instead of a tuple struct", item.ident));
            return None;
        }
        Fields::Unit => {
            cx.error_spanned_by(
                &item.ident,
                format!(
                    "`#[auth_user]` needs a braced struct: write `struct {} {{}}`",
                    item.ident
                ),
            );
            return None;
        }
    }
    // A generic struct is re-emitted as written (no model derived), so the one
    // error is not followed by `derive(Model)`'s and rustc's about the same `<T>`.
    let generic = item.generics.params.first().inspect(|param| {
        cx.error_spanned_by(param, "`#[auth_user]` does not support generic structs: a user model has concrete field types");
    });
    for field in &item.fields {
        let Some(ident) = &field.ident else { continue };
        let name = ident.to_string();
        if is_injected(options, &name) {
            cx.error_spanned_by(
                ident,
                if name == "username" {
                    "`username` is provided by `#[auth_user(login_field = \"username\")]`: remove this field (the injected one is `pub`, unique and at most 150 characters)".to_owned()
                } else {
                    format!("`{name}` is provided by `#[auth_user]`: remove this field (the injected one is `pub`)")
                },
            );
        }
    }
    for attr in &item.attrs {
        if !attr.path().is_ident("derive") {
            continue;
        }
        let _ = attr.parse_nested_meta(|meta| {
            if meta
                .path
                .segments
                .last()
                .is_some_and(|segment| segment.ident == "Model")
            {
                cx.error_spanned_by(
                    &meta.path,
                    "remove `Model` from `#[derive(...)]`: `#[auth_user]` derives it",
                );
            }
            Ok(())
        });
    }
    if generic.is_some() {
        return None;
    }
    // The expansion leaves out the redeclared fields, so each gives one error
    // instead of a cascade of duplicate fields, columns and methods.
    let mut item = item.clone();
    if let Fields::Named(named) = &mut item.fields {
        named.named = std::mem::take(&mut named.named)
            .into_pairs()
            .filter(|pair| {
                pair.value()
                    .ident
                    .as_ref()
                    .is_none_or(|ident| !is_injected(options, &ident.to_string()))
            })
            .collect();
    }
    Some(item)
}
