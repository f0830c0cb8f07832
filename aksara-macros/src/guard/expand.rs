//! Tokens only: the handler with `_: Guard<Policy>` as its first parameter. With
//! `redirect`, the path is spelled in the policy's type, one character per type
//! parameter, so no item is declared beside the handler: the expansion is the
//! same inside an `impl` block as at module level.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::ItemFn;

use super::Requirement;
use super::attrs::Options;

pub(crate) fn guarded(
    requirement: Requirement,
    options: &Options,
    mut handler: ItemFn,
) -> TokenStream {
    let rt = quote!(::aksara_auth::__private);
    let builtin = match requirement {
        Requirement::Login => quote!(#rt::LoginRequired),
        Requirement::Staff => quote!(#rt::StaffRequired),
        Requirement::Superuser => quote!(#rt::SuperuserRequired),
    };
    let policy = match &options.redirect {
        None => builtin,
        Some(redirect) => {
            let path = redirect
                .value()
                .chars()
                .rev()
                .fold(quote!(#rt::PathEnd), |rest, c| {
                    let c = Literal::character(c);
                    quote!(#rt::PathChar<#c, #rest>)
                });
            quote!(#rt::Redirecting<#builtin, #path>)
        }
    };
    let guard: syn::FnArg = syn::parse_quote!(_: #rt::Guard<#policy>);
    handler.sig.inputs.insert(0, guard);
    quote!(#handler)
}
