//! Error collection shared by every macro of the crate.
//!
//! [`Ctxt`] gathers every `syn::Error` found while parsing and validating, so a
//! user sees all of their mistakes in one build instead of one per build (the
//! approach of `serde_derive`'s `internals/ctxt.rs`). [`did_you_mean`] turns a
//! misspelt key into a suggestion.

use std::cell::RefCell;
use std::fmt::Display;
use std::thread;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// Collects errors while a macro input is processed. It must be consumed with
/// [`Ctxt::check`]: dropping it unchecked is a bug in the macro and panics.
pub(crate) struct Ctxt {
    /// `None` once checked.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    /// An empty context.
    pub(crate) fn new() -> Self {
        Self {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error spanning the tokens of `obj` (all of them, where the
    /// compiler supports joined spans).
    pub(crate) fn error_spanned_by<A: ToTokens, T: Display>(&self, obj: A, msg: T) {
        self.syn_error(syn::Error::new_spanned(obj.into_token_stream(), msg));
    }

    /// Records an error at `span`.
    pub(crate) fn error_at<T: Display>(&self, span: Span, msg: T) {
        self.syn_error(syn::Error::new(span, msg));
    }

    /// Records an error produced by `syn` (a syntax error inside an attribute).
    pub(crate) fn syn_error(&self, err: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("Ctxt used after check")
            .push(err);
    }

    /// Consumes the context: `Err` with every recorded error, in the order found.
    pub(crate) fn check(self) -> Result<(), Vec<syn::Error>> {
        let errors = self.errors.borrow_mut().take().expect("Ctxt checked twice");
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !thread::panicking() && self.errors.borrow().is_some() {
            panic!("forgot to check for errors");
        }
    }
}

/// Renders errors as `compile_error!` invocations, each at its own span.
pub(crate) fn to_compile_errors(errors: Vec<syn::Error>) -> TokenStream {
    errors
        .into_iter()
        .map(|error| error.to_compile_error())
        .collect()
}

/// The candidate closest to `unknown`, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(unknown: &str, candidates: &[&'a str]) -> Option<&'a str> {
    const THRESHOLD: f64 = 0.8;
    candidates
        .iter()
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), *candidate))
        .filter(|(score, _)| *score >= THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// "unknown {what} `{unknown}`; did you mean `…`?", or the list of valid keys
/// when nothing is close.
pub(crate) fn unknown_key_message(what: &str, unknown: &str, candidates: &[&str]) -> String {
    match did_you_mean(unknown, candidates) {
        Some(suggestion) => format!("unknown {what} `{unknown}`; did you mean `{suggestion}`?"),
        None => format!(
            "unknown {what} `{unknown}`; expected one of: {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A type or path as a user would write it (`Vec<String>`, not `Vec < String >`).
pub(crate) fn pretty_tokens<A: ToTokens>(tokens: &A) -> String {
    let raw = tokens.to_token_stream().to_string();
    let mut out = String::with_capacity(raw.len());
    let chars: Vec<char> = raw.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
            let next = chars.get(i + 1).copied();
            let glue_before = matches!(next, Some('<' | '>' | ',' | ':' | ';' | ']' | ')'));
            let glue_after = matches!(prev, Some('<' | ':' | '&' | '[' | '('));
            // Keep the space of `dyn Trait`, `&'a T`, `[u8; 16]` and `A, B`.
            let keep = matches!(prev, Some(',' | ';')) && !glue_before;
            if (glue_before || glue_after) && !keep {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["max_length", "primary_key", "unique"];
        assert_eq!(did_you_mean("max_len", &keys), Some("max_length"));
        assert_eq!(did_you_mean("primary", &keys), Some("primary_key"));
        assert_eq!(did_you_mean("zzz", &keys), None);
        assert_eq!(did_you_mean("tabel", &["table", "indexes"]), Some("table"));
    }

    #[test]
    fn pretty_prints_types() {
        let ty: syn::Type = syn::parse_quote!(Vec<Option<String>>);
        assert_eq!(pretty_tokens(&ty), "Vec<Option<String>>");
        let ty: syn::Type = syn::parse_quote!(&'a str);
        assert_eq!(pretty_tokens(&ty), "&'a str");
        let ty: syn::Type = syn::parse_quote!((i64, String));
        assert_eq!(pretty_tokens(&ty), "(i64, String)");
        let ty: syn::Type = syn::parse_quote!([u8; 16]);
        assert_eq!(pretty_tokens(&ty), "[u8; 16]");
        let ty: syn::Type = syn::parse_quote!(chrono::DateTime<chrono::Utc>);
        assert_eq!(pretty_tokens(&ty), "chrono::DateTime<chrono::Utc>");
    }

    #[test]
    #[should_panic(expected = "forgot to check for errors")]
    fn unchecked_context_panics() {
        let cx = Ctxt::new();
        cx.error_at(Span::call_site(), "boom");
    }
}
