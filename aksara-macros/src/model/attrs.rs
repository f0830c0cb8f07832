//! Parsing of `#[model(...)]` and `#[field(...)]`: syntax only, never bailing on the
//! first error. Every key found is kept with its span so that `validate` can point
//! at it; an unknown key, a key given twice or a value of the wrong shape is
//! recorded in the [`Ctxt`] and parsing goes on with the next key.

use proc_macro2::Span;
use syn::{
    Attribute, Data, DeriveInput, Expr, ExprArray, Fields, Ident, Lit, LitInt, LitStr, Token,
};

use crate::diagnostics::{Ctxt, pretty_tokens};
use crate::options::{self, OptionInput, Scope, declare_options};

/// One `[...]` entry of `unique_together` or `indexes`.
pub(crate) struct NameGroup {
    /// The brackets of the entry.
    pub(crate) span: Span,
    /// The field names, as string literals.
    pub(crate) names: Vec<LitStr>,
}

/// The derive input, with its attributes parsed.
pub(crate) struct Container<'a> {
    /// The input as given to the derive.
    pub(crate) input: &'a DeriveInput,
    /// `#[model(...)]`.
    pub(crate) attrs: ModelAttrs,
    /// The shape of the item.
    pub(crate) shape: Shape<'a>,
}

/// What the derive was applied to.
pub(crate) enum Shape<'a> {
    /// A struct with named fields: the only supported shape.
    Named(Vec<FieldInput<'a>>),
    /// `struct Post(i64);`, with the span of the parentheses' contents.
    Tuple(&'a syn::FieldsUnnamed),
    /// `struct Post;`.
    Unit,
    /// An enum, with its `enum` token.
    Enum(Token![enum]),
    /// A union, with its `union` token.
    Union(Token![union]),
}

/// One named field with its `#[field(...)]` options.
pub(crate) struct FieldInput<'a> {
    /// The field as declared.
    pub(crate) field: &'a syn::Field,
    /// Its name.
    pub(crate) ident: &'a Ident,
    /// Its options.
    pub(crate) attrs: FieldAttrs,
}

impl<'a> Container<'a> {
    /// Parses every attribute of `input`, recording errors in `cx`.
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let attrs = ModelAttrs::from_attrs(cx, &input.attrs);
        let shape = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => Shape::Named(
                    fields
                        .named
                        .iter()
                        .filter_map(|field| {
                            let ident = field.ident.as_ref()?;
                            Some(FieldInput {
                                field,
                                ident,
                                attrs: FieldAttrs::from_attrs(cx, &field.attrs),
                            })
                        })
                        .collect(),
                ),
                Fields::Unnamed(fields) => {
                    for field in &fields.unnamed {
                        FieldAttrs::from_attrs(cx, &field.attrs);
                    }
                    Shape::Tuple(fields)
                }
                Fields::Unit => Shape::Unit,
            },
            Data::Enum(data) => Shape::Enum(data.enum_token),
            Data::Union(data) => Shape::Union(data.union_token),
        };
        Self {
            input,
            attrs,
            shape,
        }
    }
}

declare_options! {
    /// `#[model(...)]` on the struct.
    pub(crate) struct ModelAttrs {
        /// `table = "posts"`.
        // #[model(table = "posts")]
        table: LitStr = |input| input.string_literal("table = \"posts\""),
        /// `unique_together = [["author", "slug"], ...]`.
        // #[model(unique_together = [["author", "slug"]])]
        unique_together: Vec<NameGroup> = name_groups,
        /// `indexes = [["published", "created_at"], ...]`.
        // #[model(indexes = [["published", "created_at"]])]
        indexes: Vec<NameGroup> = name_groups,
        /// `crate = "::some::path"` (or `crate = ::some::path`).
        // #[model(crate = "::some::path")] or #[model(crate = ::some::path)]
        runtime as "crate": syn::Path = path_value,
    }
}

declare_options! {
    /// `#[field(...)]` on a field.
    pub(crate) struct FieldAttrs {
        /// `primary_key`.
        // #[field(primary_key)]
        primary_key: () = options::flag,
        /// `unique`.
        // #[field(unique)]
        unique: () = options::flag,
        /// `case_insensitive` (with `unique`).
        // #[field(unique, case_insensitive)]
        case_insensitive: () = options::flag,
        /// `index`.
        // #[field(index)]
        index: () = options::flag,
        /// `max_length = 200`.
        // #[field(max_length = 200)]
        max_length: LitInt = max_length_value,
        /// `default = <expr>`.
        // #[field(default = <any expression>)]
        default: Expr = |input| input.expr("default = false"),
        /// `auto_now_add`.
        // #[field(auto_now_add)]
        auto_now_add: () = options::flag,
        /// `auto_now`.
        // #[field(auto_now)]
        auto_now: () = options::flag,
        /// `column = "name"`.
        // #[field(column = "name")]
        column: LitStr = |input| input.string_literal("column = \"name\""),
        /// `email`.
        // #[field(email)]
        email: () = options::flag,
        /// `url`.
        // #[field(url)]
        url: () = options::flag,
        /// `skip`.
        // #[field(skip)]
        skip: () = options::flag,
        /// `on_delete = "cascade" | "set_null" | "restrict"`.
        // #[field(on_delete = "cascade" | "set_null" | "restrict")]
        on_delete: LitStr = |input| input.string_literal("on_delete = \"cascade\""),
        /// `normalize = path::to::fn`.
        // #[field(normalize = path::to::function)]
        normalize: Expr = normalize_value,
        /// `through_table = "post_tags"` on a `ManyToMany<M>` field.
        // #[field(through_table = "post_tags")]
        through_table: LitStr = |input| input.string_literal("through_table = \"post_tags\""),
        /// `related_name = "posts"` on a `ForeignKey<M>` or `ManyToMany<M>` field.
        // #[field(related_name = "posts")]
        related_name: LitStr = |input| input.string_literal("related_name = \"posts\""),
    }
}

/// `#[model(...)]`, whose keys written in `#[field(...)]` are redirected here.
const MODEL_SCOPE: Scope<'static> = Scope {
    attribute: "model",
    noun: "model option",
    elsewhere: Some((
        FieldAttrs::KEYS,
        "a field option: put it in `#[field(...)]` on the field",
    )),
};

/// `#[field(...)]`, whose keys written in `#[model(...)]` are redirected here.
const FIELD_SCOPE: Scope<'static> = Scope {
    attribute: "field",
    noun: "field option",
    elsewhere: Some((
        ModelAttrs::KEYS,
        "a struct option: put it in `#[model(...)]` on the struct",
    )),
};

impl ModelAttrs {
    /// Parses every `#[model(...)]` in `attrs` (several are merged).
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("field")) {
            cx.error_spanned_by(
                attr,
                "`#[field(...)]` goes on a field; options of the struct go in `#[model(...)]`",
            );
        }
        let mut out = Self::default();
        options::parse_attributes(cx, &MODEL_SCOPE, attrs, |meta, order| {
            out.parse_nested(cx, &MODEL_SCOPE, meta, order)
        });
        out
    }
}

impl FieldAttrs {
    /// Parses every `#[field(...)]` in `attrs` (several are merged).
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        for attr in attrs.iter().filter(|attr| attr.path().is_ident("model")) {
            cx.error_spanned_by(
                attr,
                "`#[model(...)]` goes on the struct; options of a field go in `#[field(...)]`",
            );
        }
        let mut out = Self::default();
        options::parse_attributes(cx, &FIELD_SCOPE, attrs, |meta, order| {
            out.parse_nested(cx, &FIELD_SCOPE, meta, order)
        });
        out
    }
}

/// The integer literal after `max_length =`.
fn max_length_value(input: &OptionInput<'_, '_>) -> syn::Result<Option<LitInt>> {
    Ok(match input.expr("max_length = 200")? {
        Some(Expr::Lit(syn::ExprLit {
            lit: Lit::Int(lit), ..
        })) => Some(lit),
        Some(other) => {
            input.cx.error_spanned_by(
                &other,
                "`max_length` takes an integer literal, as in `max_length = 200`",
            );
            None
        }
        None => None,
    })
}

/// The function path after `normalize =`.
fn normalize_value(input: &OptionInput<'_, '_>) -> syn::Result<Option<Expr>> {
    Ok(match input.expr("normalize = my_crate::lowercase")? {
        Some(Expr::Path(path)) => Some(path.into()),
        Some(other) => {
            input.cx.error_spanned_by(
                &other,
                "`normalize` takes the path of a `fn(&str) -> String`, as in `normalize = my_crate::lowercase`",
            );
            None
        }
        None => None,
    })
}

/// The path after `crate =`, written as a string (`"::aksara"`) or bare.
fn path_value(input: &OptionInput<'_, '_>) -> syn::Result<Option<syn::Path>> {
    const EXAMPLE: &str = "crate = \"::aksara\"";
    let OptionInput { cx, meta, key, .. } = *input;
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(key, format!("`{key}` needs a value, as in `{EXAMPLE}`"));
        options::skip_value(meta)?;
        return Ok(None);
    }
    let value = meta.value()?;
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        return Ok(match lit.parse_with(syn::Path::parse_mod_style) {
            Ok(path) => Some(path),
            Err(_) => {
                cx.error_spanned_by(&lit, format!("`crate` takes a path such as `{EXAMPLE}`"));
                None
            }
        });
    }
    match value.fork().call(syn::Path::parse_mod_style) {
        Ok(_) => Ok(Some(value.call(syn::Path::parse_mod_style)?)),
        Err(_) => {
            let expr: Expr = value.parse()?;
            cx.error_spanned_by(&expr, format!("`crate` takes a path such as `{EXAMPLE}`"));
            Ok(None)
        }
    }
}

/// `[["a", "b"], ["c"]]` after `unique_together =` or `indexes =`; every
/// malformed entry is recorded.
fn name_groups(input: &OptionInput<'_, '_>) -> syn::Result<Option<Vec<NameGroup>>> {
    let OptionInput { cx, key, .. } = *input;
    let example = format!("{key} = [[\"author\", \"slug\"]]");
    let Some(expr) = input.expr(&example)? else {
        return Ok(None);
    };
    let Expr::Array(outer) = expr else {
        cx.error_spanned_by(
            &expr,
            format!("`{key}` takes a list of lists of field names, as in `{example}`"),
        );
        return Ok(None);
    };
    let mut groups = Vec::new();
    let mut valid = true;
    for entry in &outer.elems {
        let Expr::Array(ExprArray {
            elems,
            bracket_token,
            ..
        }) = entry
        else {
            cx.error_spanned_by(
                entry,
                format!("each entry of `{key}` is a list of field names, as in `{example}`"),
            );
            valid = false;
            continue;
        };
        let mut names = Vec::new();
        for name in elems {
            match name {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(lit), ..
                }) => names.push(lit.clone()),
                other => {
                    let shown = pretty_tokens(other);
                    cx.error_spanned_by(
                        other,
                        format!("write field names as strings: `\"{shown}\"`, as in `{example}`"),
                    );
                    valid = false;
                }
            }
        }
        groups.push(NameGroup {
            span: bracket_token.span.join(),
            names,
        });
    }
    Ok(valid.then_some(groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(input: &DeriveInput) -> Vec<String> {
        let cx = Ctxt::new();
        let _ = Container::from_ast(&cx, input);
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn parses_every_option() {
        let input: DeriveInput = syn::parse_quote! {
            #[model(table = "posts", unique_together = [["author", "slug"]], indexes = [["a", "b"], ["c"]], crate = "::some::path")]
            struct Post {
                #[field(primary_key)] id: i64,
                #[field(unique, index, max_length = 20, column = "t", email, url)] title: String,
                #[field(default = 1 + 2, auto_now_add, auto_now)] at: DateTime<Utc>,
                #[field(on_delete = "set_null")] author: Option<ForeignKey<Author>>,
                #[field(skip)] cache: Option<String>,
            }
        };
        let cx = Ctxt::new();
        let container = Container::from_ast(&cx, &input);
        cx.check().unwrap_or_else(|errors| panic!("{errors:?}"));
        let attrs = &container.attrs;
        assert_eq!(attrs.table.get().unwrap().value.value(), "posts");
        assert_eq!(attrs.indexes.get().unwrap().value.len(), 2);
        assert_eq!(attrs.unique_together.get().unwrap().value[0].names.len(), 2);
        assert_eq!(
            pretty_tokens(&attrs.runtime.get().unwrap().value),
            "::some::path"
        );
        let Shape::Named(fields) = &container.shape else {
            panic!("named")
        };
        assert_eq!(fields.len(), 5);
        assert!(fields[1].attrs.email.is_set() && fields[1].attrs.url.is_set());
        assert_eq!(
            fields[1]
                .attrs
                .max_length
                .get()
                .unwrap()
                .value
                .base10_digits(),
            "20"
        );
        assert!(fields[4].attrs.skip.is_set());
    }

    #[test]
    fn unknown_keys_suggest_and_keep_going() {
        let input: DeriveInput = syn::parse_quote! {
            #[model(tabel = "posts", table = "p")]
            struct Post {
                #[field(max_len = 20, uniqe, zzzz, primary_key)] id: i64,
            }
        };
        let errors = errors_of(&input);
        assert_eq!(
            errors,
            [
                "unknown model option `tabel`; did you mean `table`?",
                "unknown field option `max_len`; did you mean `max_length`?",
                "unknown field option `uniqe`; did you mean `unique`?",
                "unknown field option `zzzz`; expected one of: `primary_key`, `unique`, `case_insensitive`, `index`, \
                 `max_length`, `default`, `auto_now_add`, `auto_now`, `column`, `email`, `url`, \
                 `skip`, `on_delete`, `normalize`, `through_table`, `related_name`",
            ]
        );
    }

    #[test]
    fn duplicates_are_reported_at_the_second_occurrence() {
        let input: DeriveInput = syn::parse_quote! {
            #[model(table = "a")]
            #[model(table = "b")]
            struct Post {
                #[field(unique)]
                #[field(unique, max_length = 1, max_length = 2)]
                id: i64,
            }
        };
        assert_eq!(
            errors_of(&input),
            [
                "duplicate model option `table`; it is already set",
                "duplicate field option `unique`; it is already set",
                "duplicate field option `max_length`; it is already set",
            ]
        );
    }

    #[test]
    fn bad_value_shapes_are_reported() {
        let input: DeriveInput = syn::parse_quote! {
            #[model(unique_together = ["a"], indexes = [[a]], crate = 5)]
            struct Post {
                #[field(max_length = "20", primary_key = true, column = name, default)] id: i64,
                #[field(table = "x")] other: i64,
            }
        };
        assert_eq!(
            errors_of(&input),
            [
                "each entry of `unique_together` is a list of field names, as in `unique_together = [[\"author\", \"slug\"]]`",
                "write field names as strings: `\"a\"`, as in `indexes = [[\"author\", \"slug\"]]`",
                "`crate` takes a path such as `crate = \"::aksara\"`",
                "`max_length` takes an integer literal, as in `max_length = 200`",
                "`primary_key` takes no value: write `#[field(primary_key)]`",
                "`column` takes a string literal, as in `column = \"name\"`",
                "`default` needs a value, as in `default = false`",
                "`table` is a struct option: put it in `#[model(...)]` on the struct",
            ]
        );
    }

    #[test]
    fn misplaced_attributes_are_reported() {
        let input: DeriveInput = syn::parse_quote! {
            #[field(unique)]
            struct Post {
                #[model(table = "x")] id: i64,
            }
        };
        assert_eq!(
            errors_of(&input),
            [
                "`#[field(...)]` goes on a field; options of the struct go in `#[model(...)]`",
                "`#[model(...)]` goes on the struct; options of a field go in `#[field(...)]`",
            ]
        );
    }
}
