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
            let (what, span) = syn::parse2::<syn::Item>(item)
                .ok()
                .map_or(("this item", proc_macro2::Span::call_site()), |item| {
                    describe(&item)
                });
            cx.error_at(
                span,
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

/// What the item is, and the span of its keyword.
fn describe(item: &syn::Item) -> (&'static str, proc_macro2::Span) {
    use syn::spanned::Spanned as _;
    match item {
        syn::Item::Struct(item) => ("a struct", item.struct_token.span),
        syn::Item::Enum(item) => ("an enum", item.enum_token.span),
        syn::Item::Impl(item) => ("an impl block", item.impl_token.span),
        syn::Item::Mod(item) => ("a module", item.mod_token.span),
        syn::Item::Trait(item) => ("a trait", item.trait_token.span),
        syn::Item::Const(item) => ("a const", item.const_token.span),
        syn::Item::Static(item) => ("a static", item.static_token.span),
        syn::Item::Type(item) => ("a type alias", item.type_token.span),
        other => ("this item", other.span()),
    }
}
