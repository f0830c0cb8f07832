//! Parsing of `#[model(...)]` and `#[field(...)]`: syntax only, never bailing on the
//! first error. Every key found is kept with its span so that `validate` can point
//! at it; an unknown key, a key given twice or a value of the wrong shape is
//! recorded in the [`Ctxt`] and parsing goes on with the next key.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{
    Attribute, Data, DeriveInput, Expr, ExprArray, Fields, Ident, Lit, LitInt, LitStr, Token,
};

use crate::diagnostics::{Ctxt, pretty_tokens, unknown_key_message};

/// The keys accepted by `#[model(...)]`.
pub(crate) const MODEL_KEYS: &[&str] = &["table", "unique_together", "indexes", "crate"];

/// The keys accepted by `#[field(...)]`.
pub(crate) const FIELD_KEYS: &[&str] = &[
    "primary_key",
    "unique",
    "case_insensitive",
    "index",
    "max_length",
    "default",
    "auto_now_add",
    "auto_now",
    "column",
    "email",
    "url",
    "skip",
    "on_delete",
    "normalize",
];

/// One option as written: the key (for spans), its value and its position among
/// the options of the same field or struct.
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
    fn set(&mut self, cx: &Ctxt, scope: &str, key: &Ident, value: T, order: usize) {
        if self.given.is_some() {
            cx.error_spanned_by(
                key,
                format!("duplicate {scope} option `{key}`; it is already set"),
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

/// `#[model(...)]` on the struct.
#[derive(Default)]
pub(crate) struct ModelAttrs {
    /// `table = "posts"`.
    pub(crate) table: Attr<LitStr>,
    /// `unique_together = [["author", "slug"], ...]`.
    pub(crate) unique_together: Attr<Vec<NameGroup>>,
    /// `indexes = [["published", "created_at"], ...]`.
    pub(crate) indexes: Attr<Vec<NameGroup>>,
    /// `crate = "::some::path"` (or `crate = ::some::path`).
    pub(crate) runtime: Attr<syn::Path>,
}

impl ModelAttrs {
    /// Parses every `#[model(...)]` in `attrs` (several are merged).
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Self::default();
        let mut order = 0;
        for attr in attrs {
            if attr.path().is_ident("field") {
                cx.error_spanned_by(
                    attr,
                    "`#[field(...)]` goes on a field; options of the struct go in `#[model(...)]`",
                );
                continue;
            }
            if !attr.path().is_ident("model") {
                continue;
            }
            let parsed = attr.parse_nested_meta(|meta| {
                order += 1;
                out.parse_key(cx, &meta, order)
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }
        out
    }

    fn parse_key(
        &mut self,
        cx: &Ctxt,
        meta: &ParseNestedMeta<'_>,
        order: usize,
    ) -> syn::Result<()> {
        const SCOPE: &str = "model";
        let Some(key) = key_ident(cx, meta, SCOPE, MODEL_KEYS, FIELD_KEYS)? else {
            return Ok(());
        };
        if key == "table" {
            // #[model(table = "posts")]
            if let Some(lit) = string_value(cx, meta, &key, "table = \"posts\"")? {
                self.table.set(cx, SCOPE, &key, lit, order);
            }
        } else if key == "unique_together" || key == "indexes" {
            // #[model(unique_together = [["author", "slug"]])]
            // #[model(indexes = [["published", "created_at"]])]
            if let Some(groups) = name_groups(cx, meta, &key)? {
                let attr = if key == "indexes" {
                    &mut self.indexes
                } else {
                    &mut self.unique_together
                };
                attr.set(cx, SCOPE, &key, groups, order);
            }
        } else if key == "crate" {
            // #[model(crate = "::some::path")] or #[model(crate = ::some::path)]
            if let Some(path) = path_value(cx, meta, &key)? {
                self.runtime.set(cx, SCOPE, &key, path, order);
            }
        } else {
            unreachable!("key_ident only returns known keys");
        }
        Ok(())
    }
}

/// `#[field(...)]` on one field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    /// `primary_key`.
    pub(crate) primary_key: Attr<()>,
    /// `unique`.
    pub(crate) unique: Attr<()>,
    /// `case_insensitive`.
    pub(crate) case_insensitive: Attr<()>,
    /// `index`.
    pub(crate) index: Attr<()>,
    /// `max_length = 200`.
    pub(crate) max_length: Attr<LitInt>,
    /// `default = <expr>`.
    pub(crate) default: Attr<Expr>,
    /// `auto_now_add`.
    pub(crate) auto_now_add: Attr<()>,
    /// `auto_now`.
    pub(crate) auto_now: Attr<()>,
    /// `column = "name"`.
    pub(crate) column: Attr<LitStr>,
    /// `email`.
    pub(crate) email: Attr<()>,
    /// `url`.
    pub(crate) url: Attr<()>,
    /// `skip`.
    pub(crate) skip: Attr<()>,
    /// `on_delete = "cascade" | "set_null" | "restrict"`.
    pub(crate) on_delete: Attr<LitStr>,
    /// `normalize = path::to::fn`.
    pub(crate) normalize: Attr<Expr>,
}

impl FieldAttrs {
    /// Parses every `#[field(...)]` in `attrs` (several are merged).
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Self::default();
        let mut order = 0;
        for attr in attrs {
            if attr.path().is_ident("model") {
                cx.error_spanned_by(
                    attr,
                    "`#[model(...)]` goes on the struct; options of a field go in `#[field(...)]`",
                );
                continue;
            }
            if !attr.path().is_ident("field") {
                continue;
            }
            let parsed = attr.parse_nested_meta(|meta| {
                order += 1;
                out.parse_key(cx, &meta, order)
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }
        out
    }

    /// The flags and options that were given, as `(key, order)`, for checks that
    /// concern every option at once (`skip`).
    pub(crate) fn given_keys(&self) -> Vec<(&Ident, usize)> {
        let flags = [
            &self.primary_key,
            &self.unique,
            &self.case_insensitive,
            &self.index,
            &self.auto_now_add,
            &self.auto_now,
            &self.email,
            &self.url,
            &self.skip,
        ];
        let mut keys: Vec<(&Ident, usize)> = flags
            .iter()
            .filter_map(|attr| attr.get())
            .map(|g| (&g.key, g.order))
            .collect();
        keys.extend(self.max_length.get().map(|g| (&g.key, g.order)));
        keys.extend(self.default.get().map(|g| (&g.key, g.order)));
        keys.extend(self.column.get().map(|g| (&g.key, g.order)));
        keys.extend(self.on_delete.get().map(|g| (&g.key, g.order)));
        keys.extend(self.normalize.get().map(|g| (&g.key, g.order)));
        keys.sort_by_key(|(_, order)| *order);
        keys
    }

    fn parse_key(
        &mut self,
        cx: &Ctxt,
        meta: &ParseNestedMeta<'_>,
        order: usize,
    ) -> syn::Result<()> {
        const SCOPE: &str = "field";
        let Some(key) = key_ident(cx, meta, SCOPE, FIELD_KEYS, MODEL_KEYS)? else {
            return Ok(());
        };
        let flag = match key.to_string().as_str() {
            // #[field(primary_key)]
            "primary_key" => Some(&mut self.primary_key),
            // #[field(unique)]
            "unique" => Some(&mut self.unique),
            // #[field(unique, case_insensitive)]
            "case_insensitive" => Some(&mut self.case_insensitive),
            // #[field(index)]
            "index" => Some(&mut self.index),
            // #[field(auto_now_add)]
            "auto_now_add" => Some(&mut self.auto_now_add),
            // #[field(auto_now)]
            "auto_now" => Some(&mut self.auto_now),
            // #[field(email)]
            "email" => Some(&mut self.email),
            // #[field(url)]
            "url" => Some(&mut self.url),
            // #[field(skip)]
            "skip" => Some(&mut self.skip),
            _ => None,
        };
        if let Some(attr) = flag {
            if has_value(meta) {
                cx.error_spanned_by(
                    &key,
                    format!("`{key}` takes no value: write `#[field({key})]`"),
                );
                skip_value(meta)?;
            } else {
                attr.set(cx, SCOPE, &key, (), order);
            }
            return Ok(());
        }
        if key == "max_length" {
            // #[field(max_length = 200)]
            if let Some(expr) = expr_value(cx, meta, &key, "max_length = 200")? {
                match expr {
                    Expr::Lit(syn::ExprLit {
                        lit: Lit::Int(lit), ..
                    }) => {
                        self.max_length.set(cx, SCOPE, &key, lit, order);
                    }
                    other => cx.error_spanned_by(
                        &other,
                        "`max_length` takes an integer literal, as in `max_length = 200`",
                    ),
                }
            }
        } else if key == "default" {
            // #[field(default = <any expression>)]
            if let Some(expr) = expr_value(cx, meta, &key, "default = false")? {
                self.default.set(cx, SCOPE, &key, expr, order);
            }
        } else if key == "column" {
            // #[field(column = "name")]
            if let Some(lit) = string_value(cx, meta, &key, "column = \"name\"")? {
                self.column.set(cx, SCOPE, &key, lit, order);
            }
        } else if key == "on_delete" {
            // #[field(on_delete = "cascade" | "set_null" | "restrict")]
            if let Some(lit) = string_value(cx, meta, &key, "on_delete = \"cascade\"")? {
                self.on_delete.set(cx, SCOPE, &key, lit, order);
            }
        } else if key == "normalize" {
            // #[field(normalize = path::to::function)]
            if let Some(expr) = expr_value(cx, meta, &key, "normalize = my_crate::lowercase")? {
                match expr {
                    Expr::Path(path) => self.normalize.set(cx, SCOPE, &key, path.into(), order),
                    other => cx.error_spanned_by(
                        &other,
                        "`normalize` takes the path of a `fn(&str) -> String`, as in `normalize = my_crate::lowercase`",
                    ),
                }
            }
        } else {
            unreachable!("key_ident only returns known keys");
        }
        Ok(())
    }
}

/// The key of `meta` when it is one of `known`; otherwise records an error (with a
/// suggestion, or a hint when the key belongs to the other attribute), skips the
/// value and returns `None`.
fn key_ident(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    scope: &str,
    known: &[&str],
    other_scope_keys: &[&str],
) -> syn::Result<Option<Ident>> {
    if let Some(ident) = meta.path.get_ident() {
        let name = ident.to_string();
        if known.contains(&name.as_str()) {
            return Ok(Some(ident.clone()));
        }
        let message = if other_scope_keys.contains(&name.as_str()) {
            let (is, put) = if scope == "field" {
                ("a struct option", "`#[model(...)]` on the struct")
            } else {
                ("a field option", "`#[field(...)]` on the field")
            };
            format!("`{name}` is {is}: put it in {put}")
        } else {
            unknown_key_message(&format!("{scope} option"), &name, known)
        };
        cx.error_spanned_by(ident, message);
    } else {
        let name = pretty_tokens(&meta.path);
        cx.error_spanned_by(
            &meta.path,
            unknown_key_message(&format!("{scope} option"), &name, known),
        );
    }
    skip_value(meta)?;
    Ok(None)
}

/// Whether the key is followed by `= value` or `(…)`.
fn has_value(meta: &ParseNestedMeta<'_>) -> bool {
    meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren)
}

/// Consumes `= value` or `(…)` after a key that is being rejected, so that the
/// following keys are still parsed.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// The expression after `key =`; a missing `=` is recorded (quoting `example`).
fn expr_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: &Ident,
    example: &str,
) -> syn::Result<Option<Expr>> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(key, format!("`{key}` needs a value, as in `{example}`"));
        skip_value(meta)?;
        return Ok(None);
    }
    Ok(Some(meta.value()?.parse::<Expr>()?))
}

/// The string literal after `key =`; anything else is recorded.
fn string_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: &Ident,
    example: &str,
) -> syn::Result<Option<LitStr>> {
    Ok(match expr_value(cx, meta, key, example)? {
        Some(Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        })) => Some(lit),
        Some(other) => {
            cx.error_spanned_by(
                &other,
                format!("`{key}` takes a string literal, as in `{example}`"),
            );
            None
        }
        None => None,
    })
}

/// The path after `crate =`, written as a string (`"::aksara"`) or bare.
fn path_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: &Ident,
) -> syn::Result<Option<syn::Path>> {
    const EXAMPLE: &str = "crate = \"::aksara\"";
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(key, format!("`{key}` needs a value, as in `{EXAMPLE}`"));
        skip_value(meta)?;
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

/// `[["a", "b"], ["c"]]` after `key =`; every malformed entry is recorded.
fn name_groups(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: &Ident,
) -> syn::Result<Option<Vec<NameGroup>>> {
    let example = format!("{key} = [[\"author\", \"slug\"]]");
    let Some(expr) = expr_value(cx, meta, key, &example)? else {
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
                 `skip`, `on_delete`, `normalize`",
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
