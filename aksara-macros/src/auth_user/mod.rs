//! `#[auth_user]`: parse the arguments ([`attrs`]) → validate the struct
//! ([`validate`]) → expand ([`expand`]) into the struct with the AbstractUser
//! fields injected, `#[derive(Model)]` added, and an `AuthUser` impl.
//!
//! The model itself is still expanded by `#[derive(Model)]`, so every `#[field]`
//! option and every model error works and reads the same as on a plain model.

mod attrs;
mod expand;
mod validate;

use proc_macro2::TokenStream;

use crate::diagnostics::{Ctxt, to_compile_errors};

/// Expands `#[auth_user(args)]` on `item`. Always re-emits the item, so one
/// mistake gives one error instead of a cascade about the `#[field]` attributes.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let options = attrs::Options::parse(&cx, args);
    let item = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(item) => item,
        Err(err) => {
            let _ = cx.check();
            return [err.to_compile_error(), item].into_iter().collect();
        }
    };
    let user = validate::check(&cx, &options, &item);
    match (cx.check(), user) {
        (Ok(()), Some(user)) => expand::user_model(&options, &user),
        (Err(errors), Some(user)) => {
            let mut tokens = to_compile_errors(errors);
            tokens.extend(expand::user_model(&options, &user));
            tokens
        }
        (Err(errors), None) => {
            let mut tokens = to_compile_errors(errors);
            tokens.extend(expand::without_helper_attributes(item));
            tokens
        }
        (Ok(()), None) => unreachable!("validation records an error whenever it returns no struct"),
    }
}
