//! Tokens only: the handler with `_: Guard<Policy>` as its first parameter. With
//! `redirect`, a policy type is declared next to the handler to carry the path.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ItemFn;

use super::Requirement;
use super::attrs::Options;

pub(crate) fn guarded(
    requirement: Requirement,
    options: &Options,
    mut handler: ItemFn,
) -> TokenStream {
    let rt = quote!(::aksara_auth::__private);
    let requirement_tokens = match requirement {
        Requirement::Login => quote!(#rt::Requirement::Login),
        Requirement::Staff => quote!(#rt::Requirement::Staff),
        Requirement::Superuser => quote!(#rt::Requirement::Superuser),
    };
    let (policy_item, policy) = match &options.redirect {
        None => {
            let builtin = match requirement {
                Requirement::Login => quote!(#rt::LoginRequired),
                Requirement::Staff => quote!(#rt::StaffRequired),
                Requirement::Superuser => quote!(#rt::SuperuserRequired),
            };
            (TokenStream::new(), builtin)
        }
        Some(redirect) => {
            let name = format_ident!("__aksara_guard_{}", handler.sig.ident);
            let vis = &handler.vis;
            let item = quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                #vis struct #name;
                impl #rt::GuardPolicy for #name {
                    const REQUIREMENT: #rt::Requirement = #requirement_tokens;
                    const REDIRECT: ::core::option::Option<&'static str> = ::core::option::Option::Some(#redirect);
                }
            };
            (item, quote!(#name))
        }
    };
    let guard: syn::FnArg = syn::parse_quote!(_: #rt::Guard<#policy>);
    handler.sig.inputs.insert(0, guard);
    quote! {
        #policy_item
        #handler
    }
}
