//! Parses the arguments of `#[auth_user(...)]`. Never bails: every problem is
//! recorded in the [`Ctxt`].

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Expr, Lit, LitStr, Token};

use crate::diagnostics::{Ctxt, unknown_key_message};

/// The keys `#[auth_user(...)]` accepts (`__builtin` is reserved for `aksara_auth::User`).
const KEYS: &[&str] = &["login_field"];

/// What users log in with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginField {
    Email,
    Username,
}

/// The parsed arguments.
pub(crate) struct Options {
    pub(crate) login_field: LoginField,
    /// The crate's own built-in model: the slot's default, not a claim.
    pub(crate) builtin: bool,
}

impl Options {
    pub(crate) fn parse(cx: &Ctxt, args: TokenStream) -> Self {
        let mut options = Options {
            login_field: LoginField::Email,
            builtin: false,
        };
        let mut seen_login_field: Option<Span> = None;
        let parser = syn::meta::parser(|meta: ParseNestedMeta| {
            let Some(key) = meta.path.get_ident().map(ToString::to_string) else {
                cx.error_spanned_by(
                    &meta.path,
                    unknown_key_message(
                        "`auth_user` option",
                        &crate::diagnostics::pretty_tokens(&meta.path),
                        KEYS,
                    ),
                );
                return skip_value(&meta);
            };
            match key.as_str() {
                // #[auth_user(login_field = "email" | "username")]
                "login_field" => {
                    if seen_login_field.is_some() {
                        cx.error_spanned_by(
                            &meta.path,
                            "duplicate `auth_user` option `login_field`; it is already set",
                        );
                    }
                    seen_login_field = Some(
                        meta.path
                            .get_ident()
                            .map_or_else(Span::call_site, syn::Ident::span),
                    );
                    let Some(value) = login_field_value(cx, &meta)? else {
                        return Ok(());
                    };
                    match value.value().as_str() {
                        "email" => options.login_field = LoginField::Email,
                        "username" => options.login_field = LoginField::Username,
                        other => cx.error_spanned_by(
                            &value,
                            format!("unknown `login_field` \"{other}\": expected \"email\" (the default) or \"username\""),
                        ),
                    }
                }
                // #[auth_user(__builtin)]: only `aksara_auth::User` writes this.
                "__builtin" => options.builtin = true,
                _ => {
                    cx.error_spanned_by(
                        &meta.path,
                        unknown_key_message("`auth_user` option", &key, KEYS),
                    );
                    skip_value(&meta)?;
                }
            }
            Ok(())
        });
        if let Err(err) = syn::parse::Parser::parse2(parser, args) {
            cx.syn_error(err);
        }
        options
    }
}

/// The string literal after `login_field =`; anything else is recorded, spanned at
/// the value (or at the key when the `=` is missing), and consumed so that the
/// following options are still parsed.
fn login_field_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<LitStr>> {
    const EXAMPLE: &str = "`login_field = \"username\"` (or \"email\", the default)";
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            format!("`login_field` needs a value: write {EXAMPLE}"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    match meta.value()?.parse::<Expr>()? {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(Some(lit)),
        other => {
            cx.error_spanned_by(
                &other,
                format!("`login_field` takes a string literal: write {EXAMPLE}"),
            );
            Ok(None)
        }
    }
}

/// Consumes `= value` or `(…)` after a key that is being rejected, so that the
/// following keys are still parsed and no "expected `,`" error follows.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}
