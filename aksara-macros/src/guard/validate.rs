//! Checks that a guard sits on something it can guard: an `async fn` handler
//! without `self`.

use proc_macro2::TokenStream;
use syn::{FnArg, ItemFn};

use super::Requirement;
use crate::diagnostics::Ctxt;

/// The handler, when the item is one; errors for everything wrong with it.
pub(crate) fn check(cx: &Ctxt, requirement: Requirement, item: TokenStream) -> Option<ItemFn> {
    let attribute = requirement.attribute();
    let handler = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(handler) => handler,
        Err(_) => {
            let what = syn::parse2::<syn::Item>(item)
                .ok()
                .map_or("this item", describe);
            cx.error_at(
                proc_macro2::Span::call_site(),
                format!("`#[{attribute}]` goes on an async handler function, not on {what}"),
            );
            return None;
        }
    };
    let signature = &handler.sig;
    if signature.asyncness.is_none() {
        cx.error_spanned_by(
            signature.fn_token,
            format!(
                "`#[{attribute}]` needs an async handler: write `async fn {}(…)`",
                signature.ident
            ),
        );
    }
    if let Some(FnArg::Receiver(receiver)) = signature.inputs.first() {
        cx.error_spanned_by(
            receiver,
            format!("`#[{attribute}]` guards axum handlers, which take no `self`: make `{}` a free function", signature.ident),
        );
    }
    if let Some(param) = signature.generics.const_params().next() {
        cx.error_spanned_by(
            param,
            format!("`#[{attribute}]` does not support const generic handlers"),
        );
    }
    Some(handler)
}

fn describe(item: syn::Item) -> &'static str {
    match item {
        syn::Item::Struct(_) => "a struct",
        syn::Item::Enum(_) => "an enum",
        syn::Item::Impl(_) => "an impl block",
        syn::Item::Mod(_) => "a module",
        syn::Item::Trait(_) => "a trait",
        syn::Item::Const(_) => "a const",
        syn::Item::Static(_) => "a static",
        syn::Item::Type(_) => "a type alias",
        _ => "this item",
    }
}
