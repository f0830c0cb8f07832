//! Parses a guard's options: `redirect = "/login"`. Never bails: every problem is
//! recorded in the [`Ctxt`], so two mistakes in one attribute give two errors.

use proc_macro2::TokenStream;
use syn::LitStr;

use super::Requirement;
use crate::diagnostics::Ctxt;
use crate::options::{self, OptionInput, Scope, declare_options};

/// The longest `redirect` path: the expansion spells it in a type, one nested
/// type parameter per character, and the compiler's default recursion limit
/// (128) bounds how deep a type it resolves.
const MAX_REDIRECT_LEN: usize = 100;

declare_options! {
    /// The options as written.
    struct Given {
        /// `redirect = "/login"`.
        // #[login_required(redirect = "/login")]
        redirect: LitStr = redirect_value,
    }
}

/// The parsed options.
pub(crate) struct Options {
    /// Where to send anonymous visitors (with `?next=`), instead of a 401.
    pub(crate) redirect: Option<LitStr>,
}

impl Options {
    pub(crate) fn parse(cx: &Ctxt, requirement: Requirement, args: TokenStream) -> Self {
        let attribute = requirement.attribute();
        let noun = format!("`{attribute}` option");
        let scope = Scope {
            attribute,
            noun: &noun,
            elsewhere: None,
        };
        let mut given = Given::default();
        options::parse_args(cx, args, |meta, order| {
            given.parse_nested(cx, &scope, meta, order)
        });
        Options {
            redirect: given.redirect.get().map(|redirect| redirect.value.clone()),
        }
    }
}

/// The string literal after `redirect =`, checked to be a path on this site.
fn redirect_value(input: &OptionInput<'_, '_>) -> syn::Result<Option<LitStr>> {
    let lit = input.string_literal("redirect = \"/login\"")?;
    if let Some(lit) = &lit {
        check_redirect(input.cx, lit);
    }
    Ok(lit)
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

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn errors_of(args: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let _ = Options::parse(&cx, Requirement::Login, args);
        cx.check()
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn every_mistake_in_one_attribute_is_reported() {
        assert_eq!(
            errors_of(quote!(
                redirect,
                redirct = "/login",
                redirect = "/a",
                redirect = "/b"
            )),
            [
                "`redirect` needs a value, as in `redirect = \"/login\"`",
                "unknown `login_required` option `redirct`; did you mean `redirect`?",
                "duplicate `login_required` option `redirect`; it is already set",
            ]
        );
    }

    #[test]
    fn a_valid_redirect_is_kept() {
        let cx = Ctxt::new();
        let options = Options::parse(&cx, Requirement::Login, quote!(redirect = "/login"));
        assert!(cx.check().is_ok());
        assert_eq!(
            options.redirect.map(|lit| lit.value()).as_deref(),
            Some("/login")
        );
    }
}
