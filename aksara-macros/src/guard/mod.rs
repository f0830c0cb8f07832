//! `#[login_required]`, `#[staff_required]`, `#[superuser_required]`: parse the
//! options ([`attrs`]) → check the handler ([`validate`]) → expand ([`expand`])
//! into the same handler with one more extractor, `Guard<Policy>`, in front, which
//! refuses the request before any other extractor or the body runs.

mod attrs;
mod expand;
mod validate;

use proc_macro2::TokenStream;

use crate::diagnostics::{Ctxt, to_compile_errors};

/// What a guard requires of the request's user.
#[derive(Clone, Copy)]
pub(crate) enum Requirement {
    Login,
    Staff,
    Superuser,
}

impl Requirement {
    /// The attribute's name, for messages.
    fn attribute(self) -> &'static str {
        match self {
            Self::Login => "login_required",
            Self::Staff => "staff_required",
            Self::Superuser => "superuser_required",
        }
    }
}

/// Expands a guard attribute. On errors the handler is re-emitted unchanged
/// next to them, so one mistake gives one error.
pub(crate) fn expand(
    requirement: Requirement,
    args: TokenStream,
    item: TokenStream,
) -> TokenStream {
    let cx = Ctxt::new();
    let options = attrs::Options::parse(&cx, requirement, args);
    let handler = validate::check(&cx, requirement, item.clone());
    match (cx.check(), handler) {
        (Ok(()), Some(handler)) => expand::guarded(requirement, &options, handler),
        (Err(errors), _) => {
            let mut tokens = to_compile_errors(errors);
            tokens.extend(item);
            tokens
        }
        (Ok(()), None) => {
            unreachable!("validation records an error whenever it returns no handler")
        }
    }
}
