//! Parses the arguments of `#[auth_user(...)]`. Never bails: every problem is
//! recorded in the [`Ctxt`].

use proc_macro2::TokenStream;
use syn::{Expr, Lit, LitStr, Token};

use crate::diagnostics::Ctxt;
use crate::options::{self, OptionInput, Scope, declare_options};

/// What users log in with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginField {
    Email,
    Username,
}

declare_options! {
    /// The arguments as written.
    struct Given {
        /// `login_field = "email" | "username"`.
        // #[auth_user(login_field = "email" | "username")]
        login_field: LoginField = login_field_value,
        /// Reserved for `aksara_auth::User` (never suggested).
        // #[auth_user(__builtin)]: only `aksara_auth::User` writes this.
        builtin as "__builtin": () = options::flag,
    }
}

const SCOPE: Scope<'static> = Scope {
    attribute: "auth_user",
    noun: "`auth_user` option",
    elsewhere: None,
};

/// The parsed arguments.
pub(crate) struct Options {
    pub(crate) login_field: LoginField,
    /// The crate's own built-in model: the slot's default, not a claim.
    pub(crate) builtin: bool,
}

impl Options {
    pub(crate) fn parse(cx: &Ctxt, args: TokenStream) -> Self {
        let mut given = Given::default();
        options::parse_args(cx, args, |meta, order| {
            given.parse_nested(cx, &SCOPE, meta, order)
        });
        Options {
            login_field: given
                .login_field
                .get()
                .map_or(LoginField::Email, |login_field| login_field.value),
            builtin: given.builtin.is_set(),
        }
    }
}

/// `"email"` or `"username"` after `login_field =`; anything else is recorded,
/// spanned at the value (or at the key when the `=` is missing), and consumed so
/// that the following options are still parsed.
fn login_field_value(input: &OptionInput<'_, '_>) -> syn::Result<Option<LoginField>> {
    const EXAMPLE: &str = "`login_field = \"username\"` (or \"email\", the default)";
    let OptionInput { cx, meta, key, .. } = *input;
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(key, format!("`{key}` needs a value: write {EXAMPLE}"));
        options::skip_value(meta)?;
        return Ok(None);
    }
    let lit: LitStr = match meta.value()?.parse::<Expr>()? {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => lit,
        other => {
            cx.error_spanned_by(
                &other,
                format!("`{key}` takes a string literal: write {EXAMPLE}"),
            );
            return Ok(None);
        }
    };
    Ok(match lit.value().as_str() {
        "email" => Some(LoginField::Email),
        "username" => Some(LoginField::Username),
        other => {
            cx.error_spanned_by(
                &lit,
                format!("unknown `login_field` \"{other}\": expected \"email\" (the default) or \"username\""),
            );
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn parse(args: TokenStream) -> (Options, Vec<String>) {
        let cx = Ctxt::new();
        let options = Options::parse(&cx, args);
        let errors = cx.check().err().unwrap_or_default();
        (options, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn reserved_keys_are_accepted_but_never_suggested() {
        let (options, errors) = parse(quote!(__builtin, login_field = "username"));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(options.builtin && options.login_field == LoginField::Username);
        let (_, errors) = parse(quote!(zzz));
        assert_eq!(
            errors,
            ["unknown `auth_user` option `zzz`; expected one of: `login_field`"]
        );
    }
}
