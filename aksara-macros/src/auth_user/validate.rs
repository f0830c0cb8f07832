//! Checks that `#[auth_user]` sits on a struct it can extend: named fields, no
//! generics, no field that clashes with an injected one, no `#[derive(Model)]`
//! of its own.

use syn::{Fields, Item, ItemStruct};

use crate::diagnostics::Ctxt;

/// Fields `#[auth_user]` adds (plus `username` with `login_field = "username"`).
pub(crate) const INJECTED: &[&str] = &[
    "id",
    "email",
    "username",
    "password",
    "is_active",
    "is_staff",
    "is_superuser",
    "email_verified",
    "created_at",
    "last_login",
];

/// The struct to extend, when it is one; errors for everything wrong with it.
pub(crate) fn check(cx: &Ctxt, item: &Item) -> Option<ItemStruct> {
    let item = match item {
        Item::Struct(item) => item,
        Item::Enum(item) => {
            cx.error_spanned_by(
                &item.enum_token,
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
    if let Some(param) = item.generics.params.first() {
        cx.error_spanned_by(param, "`#[auth_user]` does not support generic structs: a user model has concrete field types");
    }
    for field in &item.fields {
        let Some(ident) = &field.ident else { continue };
        let name = ident.to_string();
        if INJECTED.contains(&name.as_str()) {
            cx.error_spanned_by(
                ident,
                format!("`{name}` is provided by `#[auth_user]`: remove this field (the injected one is `pub`)"),
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
    Some(item.clone())
}
