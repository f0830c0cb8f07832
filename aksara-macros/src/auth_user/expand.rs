//! Tokens only: the struct with the AbstractUser fields first, `#[derive(Model)]`
//! through `::aksara_auth::__private`, the `AuthUser` impl and the claim on the
//! `"auth.user"` slot.

use proc_macro2::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Attribute, Field, Fields, Item, ItemStruct, Meta, Token};

use super::attrs::{LoginField, Options};
use crate::types::{Scalar, TypeKind, classify};

/// Runtime path of everything the expansion names.
fn rt() -> TokenStream {
    quote!(::aksara_auth::__private)
}

/// The fields every user has, in the order they come first in the table.
fn injected_fields(options: &Options) -> Vec<Field> {
    let rt = rt();
    let mut fields: Vec<Field> = vec![
        syn::parse_quote! {
            /// Primary key, generated on create.
            #[field(primary_key)]
            pub id: #rt::Uuid
        },
        syn::parse_quote! {
            /// Email address: unique regardless of case, validated, domain stored lower-case.
            #[field(unique, case_insensitive, email, max_length = 254, normalize = #rt::normalize_email)]
            pub email: ::std::string::String
        },
    ];
    if options.login_field == LoginField::Username {
        fields.push(syn::parse_quote! {
            /// Login name: unique.
            #[field(unique, max_length = 150)]
            pub username: ::std::string::String
        });
    }
    fields.extend::<[Field; 7]>([
        syn::parse_quote! {
            /// The argon2id hash of the password (never shown by `Debug`).
            pub password: #rt::PasswordHash
        },
        syn::parse_quote! {
            /// May log in (default true).
            #[field(default = true)]
            pub is_active: bool
        },
        syn::parse_quote! {
            /// May use staff-only views.
            #[field(default = false)]
            pub is_staff: bool
        },
        syn::parse_quote! {
            /// Has every permission.
            #[field(default = false)]
            pub is_superuser: bool
        },
        syn::parse_quote! {
            /// Confirmed their email address.
            #[field(default = false)]
            pub email_verified: bool
        },
        syn::parse_quote! {
            /// When the account was created.
            #[field(auto_now_add)]
            pub created_at: #rt::DateTime<#rt::Utc>
        },
        syn::parse_quote! {
            /// The last successful login (set by `record_login`).
            pub last_login: ::core::option::Option<#rt::DateTime<#rt::Utc>>
        },
    ]);
    fields
}

/// The derives `#[auth_user]` always adds: a user model is a `Model`, `Clone` (it
/// sits in `ForeignKey`s of `Clone` models and in request extensions) and `Debug`
/// (the password hash prints redacted).
const IMPLIED_DERIVES: [&str; 3] = ["Model", "Clone", "Debug"];

/// `#[derive(A, Model, Clone, B)]` without the implied derives, which
/// `#[auth_user]` adds itself (writing them too would implement them twice).
fn without_implied_derives(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter_map(|attr| {
            if !attr.path().is_ident("derive") {
                return Some(attr.clone());
            }
            let paths = attr
                .parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .ok()?;
            let kept: Vec<&syn::Path> = paths
                .iter()
                .filter(|path| {
                    path.segments.last().is_none_or(|segment| {
                        !IMPLIED_DERIVES.iter().any(|name| segment.ident == name)
                    })
                })
                .collect();
            (!kept.is_empty()).then(|| syn::parse_quote!(#[derive(#(#kept),*)]))
        })
        .collect()
}

/// Text fields of the user's own whose values a password must not resemble.
const SIMILARITY_FIELDS: &[&str] = &[
    "username",
    "name",
    "first_name",
    "last_name",
    "full_name",
    "display_name",
];

pub(crate) fn user_model(options: &Options, user: &ItemStruct) -> TokenStream {
    let rt = rt();
    let mut item = user.clone();
    item.attrs = without_implied_derives(&user.attrs);
    let Fields::Named(named) = &mut item.fields else {
        return quote!(#item);
    };
    let own_fields: Vec<Field> = named.named.iter().cloned().collect();
    named.named = injected_fields(options)
        .into_iter()
        .chain(own_fields.iter().cloned())
        .collect();
    let ident = &item.ident;
    let attrs = &item.attrs;
    let vis = &item.vis;
    let struct_token = &item.struct_token;
    let generics = &item.generics;
    let fields = &item.fields;

    let (login_field, login_is_email) = match options.login_field {
        LoginField::Email => (quote!(EMAIL), true),
        LoginField::Username => (quote!(USERNAME), false),
    };
    let login_accessor = match options.login_field {
        LoginField::Email => quote!(&self.email),
        LoginField::Username => quote!(&self.username),
    };
    let mut similarity = vec![quote!(("email", self.email.as_str()))];
    if options.login_field == LoginField::Username {
        similarity.push(quote!(("username", self.username.as_str())));
    }
    for field in &own_fields {
        let Some(name) = &field.ident else { continue };
        let text = name.to_string();
        if !SIMILARITY_FIELDS.contains(&text.as_str()) {
            continue;
        }
        match classify(&field.ty, false) {
            Ok(TypeKind {
                scalar: Scalar::String,
                optional: false,
            }) => similarity.push(quote!((#text, self.#name.as_str()))),
            Ok(TypeKind {
                scalar: Scalar::String,
                optional: true,
            }) => similarity.push(quote! {
                (#text, self.#name.as_deref().unwrap_or_default())
            }),
            _ => {}
        }
    }
    let slot = if options.builtin {
        quote!(#rt::aksara::SlotRegistration::default_for(#rt::USER_SLOT, <#ident as #rt::Model>::META))
    } else {
        quote!(#rt::aksara::SlotRegistration::claim(#rt::USER_SLOT, <#ident as #rt::Model>::META))
    };

    quote! {
        #[derive(#rt::Model, ::core::clone::Clone, ::core::fmt::Debug)]
        #[model(crate = "::aksara_auth::__private::aksara")]
        #(#attrs)*
        #vis #struct_token #ident #generics #fields

        #[doc(hidden)]
        #[allow(clippy::all, clippy::pedantic)]
        const _: () = {
            #[automatically_derived]
            impl #rt::AuthUser for #ident {
                const LOGIN_FIELD: #rt::aksara::Column<Self, ::std::string::String> = Self::#login_field;
                const LOGIN_IS_EMAIL: bool = #login_is_email;
                const EMAIL_FIELD: #rt::aksara::Column<Self, ::std::string::String> = Self::EMAIL;
                const PASSWORD_FIELD: #rt::aksara::Column<Self, #rt::PasswordHash> = Self::PASSWORD;
                const IS_ACTIVE_FIELD: #rt::aksara::Column<Self, bool> = Self::IS_ACTIVE;
                const EMAIL_VERIFIED_FIELD: #rt::aksara::Column<Self, bool> = Self::EMAIL_VERIFIED;
                const LAST_LOGIN_FIELD: #rt::aksara::Column<Self, ::core::option::Option<#rt::DateTime<#rt::Utc>>> =
                    Self::LAST_LOGIN;

                fn id(&self) -> #rt::Uuid { self.id }
                fn login(&self) -> &str { #login_accessor }
                fn email(&self) -> &str { &self.email }
                fn password_hash(&self) -> &#rt::PasswordHash { &self.password }
                fn set_password_hash(&mut self, hash: #rt::PasswordHash) { self.password = hash; }
                fn is_active(&self) -> bool { self.is_active }
                fn is_staff(&self) -> bool { self.is_staff }
                fn is_superuser(&self) -> bool { self.is_superuser }
                fn email_verified(&self) -> bool { self.email_verified }
                fn last_login(&self) -> ::core::option::Option<#rt::DateTime<#rt::Utc>> { self.last_login }
                fn set_last_login(&mut self, at: ::core::option::Option<#rt::DateTime<#rt::Utc>>) { self.last_login = at; }
                fn similarity_attributes(&self) -> ::std::vec::Vec<(&'static str, &str)> {
                    ::std::vec![#(#similarity),*]
                }
            }
            #rt::inventory::submit! { #slot }
        };
    }
}

/// The item as written, minus the `#[model]`/`#[field]` attributes that only a
/// derive could have consumed (so they add no errors of their own).
pub(crate) fn without_helper_attributes(mut item: Item) -> TokenStream {
    fn strip(attrs: &mut Vec<Attribute>) {
        attrs.retain(|attr| !matches!(&attr.meta, Meta::List(list) if list.path.is_ident("model") || list.path.is_ident("field")));
    }
    match &mut item {
        Item::Struct(s) => {
            strip(&mut s.attrs);
            s.fields
                .iter_mut()
                .for_each(|field| strip(&mut field.attrs));
        }
        Item::Enum(e) => {
            strip(&mut e.attrs);
            for variant in &mut e.variants {
                variant
                    .fields
                    .iter_mut()
                    .for_each(|field| strip(&mut field.attrs));
            }
        }
        _ => {}
    }
    quote!(#item)
}
