//! Option lists shared by every macro: `#[model(...)]`, `#[field(...)]`,
//! `#[auth_user(...)]` and the guards' `#[login_required(...)]`.
//!
//! Each attribute declares its options once with [`declare_options!`]: the name
//! and the parser of each value. From that one list come the struct holding what
//! was given, the known keys (for "unknown option; did you mean …"), the parser
//! dispatch and the list of keys given. The helpers here look a key up, report a
//! duplicate at its second occurrence, and skip the value of a rejected key, so a
//! list with several mistakes reports every one of them.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Ident, Lit, LitStr, Token};

use crate::diagnostics::{Ctxt, pretty_tokens, unknown_key_message};

/// Declares the options of one attribute:
///
/// ```ignore
/// declare_options! {
///     /// `#[field(...)]` on a field.
///     pub(crate) struct FieldAttrs {
///         /// `primary_key`.
///         primary_key: () = options::flag,
///         /// `max_length = 200`.
///         max_length: LitInt = |input| input.int_literal("max_length = 200"),
///         /// `crate = "::aksara"`: the key is not a Rust field name.
///         runtime as "crate": Path = path_value,
///     }
/// }
/// ```
///
/// Each value parser is a `fn(&OptionInput) -> syn::Result<Option<T>>`: `None`
/// when the value was wrong (the error is already recorded). The struct gets one
/// [`Attr<T>`] per option, `KEYS`, `given_keys()` and `parse_nested()`.
macro_rules! declare_options {
    (
        $(#[$struct_attr:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_attr:meta])*
                $field:ident $(as $key:literal)?: $ty:ty = $parse:expr
            ),* $(,)?
        }
    ) => {
        $(#[$struct_attr])*
        #[derive(Default)]
        $vis struct $name {
            $(
                $(#[$field_attr])*
                pub(crate) $field: $crate::options::Attr<$ty>,
            )*
        }

        impl $name {
            /// Every key the attribute accepts, in declaration order.
            pub(crate) const KEYS: &'static [&'static str] =
                &[$($crate::options::declare_options!(@key $field $($key)?)),*];

            /// The keys given, in the order they were written.
            #[allow(dead_code, reason = "not every attribute combines options")]
            pub(crate) fn given_keys(&self) -> ::std::vec::Vec<(&::syn::Ident, usize)> {
                let mut keys = ::std::vec::Vec::new();
                $(keys.extend(self.$field.get().map(|given| (&given.key, given.order)));)*
                keys.sort_by_key(|(_, order)| *order);
                keys
            }

            /// Parses one option of the list, the `order`-th of the item: an unknown
            /// key, a duplicate or a wrong value is recorded and parsing goes on.
            pub(crate) fn parse_nested(
                &mut self,
                cx: &$crate::diagnostics::Ctxt,
                scope: &$crate::options::Scope<'_>,
                meta: &::syn::meta::ParseNestedMeta<'_>,
                order: usize,
            ) -> ::syn::Result<()> {
                let ::core::option::Option::Some(key) =
                    $crate::options::known_key(cx, scope, Self::KEYS, meta)?
                else {
                    return ::core::result::Result::Ok(());
                };
                let input = $crate::options::OptionInput { cx, scope, meta, key: &key };
                let name = key.to_string();
                $(
                    if name == $crate::options::declare_options!(@key $field $($key)?) {
                        let parse: fn(&$crate::options::OptionInput<'_, '_>)
                            -> ::syn::Result<::core::option::Option<$ty>> = $parse;
                        if let ::core::option::Option::Some(value) = parse(&input)? {
                            self.$field.set(&input, value, order);
                        }
                        return ::core::result::Result::Ok(());
                    }
                )*
                ::core::unreachable!("known_key only returns declared keys")
            }
        }
    };
    (@key $field:ident $key:literal) => { $key };
    (@key $field:ident) => { ::core::stringify!($field) };
}

pub(crate) use declare_options;

/// The attribute being parsed, for lookups and messages.
pub(crate) struct Scope<'a> {
    /// Its name: `field`, `auth_user`, `login_required`.
    pub(crate) attribute: &'a str,
    /// How a message names one of its options: `field option`, `` `auth_user` option ``.
    pub(crate) noun: &'a str,
    /// The keys of a sibling attribute, with where they go instead
    /// (`a struct option: put it in ...`), so that a key written in the wrong
    /// attribute is redirected rather than called unknown.
    pub(crate) elsewhere: Option<(&'a [&'a str], &'a str)>,
}

/// One option being parsed: a known key, the rest of its list, and where to
/// record errors.
pub(crate) struct OptionInput<'a, 'b> {
    /// Where errors go.
    pub(crate) cx: &'a Ctxt,
    /// The attribute the option is in.
    pub(crate) scope: &'a Scope<'a>,
    /// The option, positioned after its key.
    pub(crate) meta: &'a ParseNestedMeta<'b>,
    /// The key, as written.
    pub(crate) key: &'a Ident,
}

/// One option as written: the key (for spans), its value and its position among
/// the options of the same item.
pub(crate) struct Given<T> {
    /// The key, as written.
    pub(crate) key: Ident,
    /// The parsed value (`()` for flags).
    pub(crate) value: T,
    /// Position among the options of the same item, to tell which came second.
    pub(crate) order: usize,
}

/// An option that may be given at most once.
pub(crate) struct Attr<T> {
    given: Option<Given<T>>,
}

impl<T> Default for Attr<T> {
    fn default() -> Self {
        Self { given: None }
    }
}

impl<T> Attr<T> {
    /// Records the option; a second occurrence is an error at that occurrence.
    pub(crate) fn set(&mut self, input: &OptionInput<'_, '_>, value: T, order: usize) {
        let key = input.key;
        if self.given.is_some() {
            input.cx.error_spanned_by(
                key,
                format!("duplicate {} `{key}`; it is already set", input.scope.noun),
            );
        } else {
            self.given = Some(Given {
                key: key.clone(),
                value,
                order,
            });
        }
    }

    /// The option, when given.
    pub(crate) fn get(&self) -> Option<&Given<T>> {
        self.given.as_ref()
    }

    /// Whether the option was given.
    pub(crate) fn is_set(&self) -> bool {
        self.given.is_some()
    }
}

/// Parses every `#[name(...)]` of `attrs` whose name is `scope.attribute`, handing
/// each option and its position (counted across the attributes, which are
/// merged) to `each`. A syntax error ends that attribute only.
pub(crate) fn parse_attributes(
    cx: &Ctxt,
    scope: &Scope<'_>,
    attrs: &[Attribute],
    mut each: impl FnMut(&ParseNestedMeta<'_>, usize) -> syn::Result<()>,
) {
    let mut order = 0;
    for attr in attrs
        .iter()
        .filter(|attr| attr.path().is_ident(scope.attribute))
    {
        let parsed = attr.parse_nested_meta(|meta| {
            order += 1;
            each(&meta, order)
        });
        if let Err(err) = parsed {
            cx.syn_error(err);
        }
    }
}

/// Parses the arguments of an attribute macro (`#[auth_user(...)]`), handing each
/// option and its position to `each`. A syntax error ends the list.
pub(crate) fn parse_args(
    cx: &Ctxt,
    args: TokenStream,
    mut each: impl FnMut(&ParseNestedMeta<'_>, usize) -> syn::Result<()>,
) {
    let mut order = 0;
    let parser = syn::meta::parser(|meta| {
        order += 1;
        each(&meta, order)
    });
    if let Err(err) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(err);
    }
}

/// The key of `meta` when it is one of `known`; otherwise records an error (with a
/// suggestion, or where the key goes when it belongs to the sibling attribute),
/// skips the value and returns `None`. Keys starting with `__` are accepted but
/// never suggested: they are reserved for Aksara's own expansions.
pub(crate) fn known_key(
    cx: &Ctxt,
    scope: &Scope<'_>,
    known: &[&str],
    meta: &ParseNestedMeta<'_>,
) -> syn::Result<Option<Ident>> {
    let suggestions: Vec<&str> = known
        .iter()
        .copied()
        .filter(|key| !key.starts_with("__"))
        .collect();
    if let Some(ident) = meta.path.get_ident() {
        let name = ident.to_string();
        if known.contains(&name.as_str()) {
            return Ok(Some(ident.clone()));
        }
        let message = match scope.elsewhere {
            Some((keys, goes)) if keys.contains(&name.as_str()) => format!("`{name}` is {goes}"),
            _ => unknown_key_message(scope.noun, &name, &suggestions),
        };
        cx.error_spanned_by(ident, message);
    } else {
        let name = pretty_tokens(&meta.path);
        cx.error_spanned_by(
            &meta.path,
            unknown_key_message(scope.noun, &name, &suggestions),
        );
    }
    skip_value(meta)?;
    Ok(None)
}

/// Consumes `= value` or `(…)` after a key that is being rejected, so that the
/// following keys are still parsed and no "expected `,`" error follows.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// A flag: the key alone, as in `#[field(unique)]`.
pub(crate) fn flag(input: &OptionInput<'_, '_>) -> syn::Result<Option<()>> {
    let meta = input.meta;
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        let key = input.key;
        input.cx.error_spanned_by(
            key,
            format!(
                "`{key}` takes no value: write `#[{}({key})]`",
                input.scope.attribute
            ),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    Ok(Some(()))
}

impl OptionInput<'_, '_> {
    /// The expression after `key =`; a missing `=` is recorded (quoting `example`).
    pub(crate) fn expr(&self, example: &str) -> syn::Result<Option<Expr>> {
        if !self.meta.input.peek(Token![=]) {
            let key = self.key;
            self.cx
                .error_spanned_by(key, format!("`{key}` needs a value, as in `{example}`"));
            skip_value(self.meta)?;
            return Ok(None);
        }
        Ok(Some(self.meta.value()?.parse::<Expr>()?))
    }

    /// The string literal after `key =`; anything else is recorded.
    pub(crate) fn string_literal(&self, example: &str) -> syn::Result<Option<LitStr>> {
        Ok(match self.expr(example)? {
            Some(Expr::Lit(syn::ExprLit {
                lit: Lit::Str(lit), ..
            })) => Some(lit),
            Some(other) => {
                self.cx.error_spanned_by(
                    &other,
                    format!("`{}` takes a string literal, as in `{example}`", self.key),
                );
                None
            }
            None => None,
        })
    }
}
