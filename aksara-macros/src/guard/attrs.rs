//! Parses a guard's options: `redirect = "/login"`. Never bails: every problem is
//! recorded in the [`Ctxt`].

use proc_macro2::TokenStream;
use syn::LitStr;
use syn::meta::ParseNestedMeta;

use super::Requirement;
use crate::diagnostics::{Ctxt, pretty_tokens, unknown_key_message};

/// The keys a guard accepts.
const KEYS: &[&str] = &["redirect"];

/// The longest `redirect` path: the expansion spells it in a type, one nested
/// type parameter per character, and the compiler's default recursion limit
/// (128) bounds how deep a type it resolves.
const MAX_REDIRECT_LEN: usize = 100;

/// The parsed options.
pub(crate) struct Options {
    /// Where to send anonymous visitors (with `?next=`), instead of a 401.
    pub(crate) redirect: Option<LitStr>,
}

impl Options {
    pub(crate) fn parse(cx: &Ctxt, requirement: Requirement, args: TokenStream) -> Self {
        let attribute = requirement.attribute();
        let mut options = Options { redirect: None };
        let parser = syn::meta::parser(|meta: ParseNestedMeta| {
            let key = meta.path.get_ident().map(ToString::to_string);
            match key.as_deref() {
                Some("redirect") => {
                    if options.redirect.is_some() {
                        cx.error_spanned_by(
                            &meta.path,
                            format!("duplicate `{attribute}` option `redirect`"),
                        );
                    }
                    let value = meta.value()?.parse::<syn::Expr>()?;
                    match value {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(lit),
                            ..
                        }) => {
                            check_redirect(cx, &lit);
                            options.redirect = Some(lit);
                        }
                        other => cx.error_spanned_by(
                            &other,
                            "`redirect` takes a string literal, as in `redirect = \"/login\"`",
                        ),
                    }
                }
                _ => {
                    let shown = pretty_tokens(&meta.path);
                    cx.error_spanned_by(
                        &meta.path,
                        unknown_key_message(&format!("`{attribute}` option"), &shown, KEYS),
                    );
                    // Skip a value so the remaining options still parse.
                    if meta.input.peek(syn::Token![=]) {
                        let _ = meta.value().and_then(|value| value.parse::<syn::Expr>());
                    }
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

/// A redirect target must be a path on this site: `/login`, not `login`,
/// `//evil.example` or `https://…`.
fn check_redirect(cx: &Ctxt, lit: &LitStr) {
    let value = lit.value();
    let problem = if value.is_empty() {
        Some("is empty")
    } else if value.starts_with("//") || value.starts_with("/\\") {
        Some("starts with `//`, which browsers read as another host")
    } else if !value.starts_with('/') {
        Some("is not a path on this site")
    } else if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Some("contains whitespace or control characters")
    } else if value.contains('#') {
        Some("contains a fragment (`#…`)")
    } else if !value.is_ascii() {
        Some("contains characters outside ASCII (percent-encode them, as in `/connexion%C3%A9`)")
    } else if value.len() > MAX_REDIRECT_LEN {
        Some("is longer than 100 characters")
    } else {
        None
    };
    if let Some(problem) = problem {
        cx.error_spanned_by(
            lit,
            format!(
                "`redirect` {problem}: give a path starting with a single `/`, such as \"/login\""
            ),
        );
    }
}
