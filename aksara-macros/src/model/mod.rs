//! `#[derive(Model)]`: parse ([`attrs`]) → validate ([`validate`]) → expand
//! ([`expand`]), with the validated model in [`ir`].
//!
//! [`derive`] is the whole pipeline. A later `#[auth_user]` attribute macro adds
//! its fields (and possibly `#[model(crate = "...")]`) to a `DeriveInput` and calls
//! [`derive`] too, so both report errors the same way.

mod attrs;
mod expand;
mod ir;
mod validate;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::diagnostics::{Ctxt, to_compile_errors};

/// Expands `#[derive(Model)]` on `input`: the generated items, or every error found
/// together with a stub that keeps other uses of the model from adding errors.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let container = attrs::Container::from_ast(&cx, input);
    let model = validate::check(&cx, &container);
    match (cx.check(), model) {
        (Ok(()), Some(model)) => expand::model(&model),
        (Err(errors), model) => {
            let mut tokens = to_compile_errors(errors);
            if let Some(model) = model {
                tokens.extend(expand::fallback(&model));
            }
            tokens
        }
        (Ok(()), None) => unreachable!("validation returns a model when it records no error"),
    }
}
