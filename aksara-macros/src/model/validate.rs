//! Checks of the parsed attributes against the struct: its shape, each field's type
//! and options, the primary key, column names and the names listed in
//! `unique_together` / `indexes`. Every problem is recorded in the [`Ctxt`]; the
//! result is the [`ir::Model`], built as far as possible even when there are errors
//! so that `expand` can still emit a stub beside them.

use std::collections::HashMap;

use proc_macro2::TokenTree;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{GenericParam, Ident, Type};

use super::attrs::{Container, FieldAttrs, FieldInput, NameGroup, Shape};
use super::ir::{self, Column, OnDelete, Scalar, Storage, TypeKind};
use crate::diagnostics::{Ctxt, did_you_mean, pretty_tokens};
use crate::types::{classify, option_inner, type_argument};

/// Validates `container`. Returns `None` when no model can be built at all (not a
/// struct with named fields, or generic); otherwise the model, which is complete
/// exactly when `cx` holds no error.
pub(crate) fn check(cx: &Ctxt, container: &Container<'_>) -> Option<ir::Model> {
    let input = container.input;
    let ident = &input.ident;
    let generic = check_generics(cx, &input.generics);
    let fields = match &container.shape {
        Shape::Named(fields) => fields,
        Shape::Tuple(fields) => {
            cx.error_spanned_by(
                fields,
                format!(
                    "`#[derive(Model)]` needs named fields: write `struct {ident} {{ id: i64, … }}` \
                     instead of a tuple struct"
                ),
            );
            return None;
        }
        Shape::Unit => {
            cx.error_spanned_by(
                ident,
                format!(
                    "`#[derive(Model)]` needs named fields, but `{ident}` is a unit struct: add \
                     fields such as `#[field(primary_key)] id: i64`"
                ),
            );
            return None;
        }
        Shape::Enum(token) => {
            cx.error_spanned_by(
                token,
                "`#[derive(Model)]` cannot be used on an enum: a model is a struct with named fields, one per column",
            );
            return None;
        }
        Shape::Union(token) => {
            cx.error_spanned_by(
                token,
                "`#[derive(Model)]` cannot be used on a union: a model is a struct with named fields, one per column",
            );
            return None;
        }
    };

    let attrs = &container.attrs;
    let table = match attrs.table.get() {
        Some(given) if given.value.value().trim().is_empty() => {
            cx.error_spanned_by(&given.value, "`table` cannot be empty");
            String::new()
        }
        Some(given) => given.value.value(),
        None => snake_case(&ident.unraw().to_string()),
    };
    let runtime = attrs
        .runtime
        .get()
        .map_or_else(|| syn::parse_quote!(::aksara), |given| given.value.clone());

    let mut model_fields = Vec::with_capacity(fields.len());
    let mut primary_key: Option<(usize, &Ident)> = None;
    let mut columns: HashMap<String, &Ident> = HashMap::new();
    let mut next_index = 0;
    for input_field in fields {
        let field = check_field(cx, input_field, next_index);
        if let Storage::Column(column) = &field.storage {
            next_index += 1;
            if column.primary_key {
                let key = &input_field
                    .attrs
                    .primary_key
                    .get()
                    .expect("primary_key is set")
                    .key;
                match primary_key {
                    None => primary_key = Some((column.index, input_field.ident)),
                    Some((_, first)) => cx.error_spanned_by(
                        key,
                        format!(
                            "`{ident}` has two primary keys: `{}` is already marked `#[field(primary_key)]`",
                            first.unraw()
                        ),
                    ),
                }
            }
            if !column.column.is_empty() {
                if let Some(first) = columns.get(&column.column) {
                    let message = format!(
                        "column `{}` is already used by field `{}`; choose another name with `#[field(column = \"…\")]`",
                        column.column,
                        first.unraw()
                    );
                    match input_field.attrs.column.get() {
                        Some(given) => cx.error_spanned_by(&given.value, message),
                        None => cx.error_spanned_by(input_field.ident, message),
                    }
                } else {
                    columns.insert(column.column.clone(), input_field.ident);
                }
            }
            if input_field.ident.unraw() == "exec" {
                cx.error_spanned_by(
                    input_field.ident,
                    format!(
                        "a field named `exec` clashes with `{ident}Create::exec`; rename the field and \
                         keep its column with `#[field(column = \"exec\")]`"
                    ),
                );
            }
        }
        model_fields.push(field);
    }
    if primary_key.is_none() {
        cx.error_spanned_by(
            ident,
            format!(
                "`{ident}` has no primary key: mark an `i64` or `Uuid` field with `#[field(primary_key)]`"
            ),
        );
    }

    let unique_together = check_name_groups(
        cx,
        "unique_together",
        attrs.unique_together.get().map(|g| &g.value),
        fields,
    );
    let indexes = check_name_groups(cx, "indexes", attrs.indexes.get().map(|g| &g.value), fields);

    if generic {
        return None;
    }
    Some(ir::Model {
        ident: ident.clone(),
        vis: input.vis.clone(),
        runtime,
        table,
        fields: model_fields,
        primary_key: primary_key.map(|(index, _)| index),
        unique_together,
        indexes,
    })
}

/// Reports every generic parameter; returns whether there was one.
fn check_generics(cx: &Ctxt, generics: &syn::Generics) -> bool {
    for param in &generics.params {
        match param {
            GenericParam::Lifetime(param) => cx.error_spanned_by(
                param,
                format!(
                    "`#[derive(Model)]` does not support lifetime parameters: remove `{}` and store owned values such as `String`",
                    param.lifetime
                ),
            ),
            GenericParam::Type(param) => cx.error_spanned_by(
                param,
                format!(
                    "`#[derive(Model)]` does not support generic structs: remove the type parameter `{}` and name the field types",
                    param.ident
                ),
            ),
            GenericParam::Const(param) => cx.error_spanned_by(
                param,
                format!(
                    "`#[derive(Model)]` does not support const generics: remove the const parameter `{}`",
                    param.ident
                ),
            ),
        }
    }
    if let Some(clause) = &generics.where_clause
        && generics.params.is_empty()
        && !clause.predicates.is_empty()
    {
        cx.error_spanned_by(
            clause,
            "`#[derive(Model)]` does not support `where` clauses: remove it",
        );
    }
    !generics.params.is_empty()
        || generics
            .where_clause
            .as_ref()
            .is_some_and(|c| !c.predicates.is_empty())
}

/// Checks one field's type and options; `index` is its position among the
/// persisted fields if it is persisted.
fn check_field(cx: &Ctxt, input: &FieldInput<'_>, index: usize) -> ir::Field {
    let attrs = &input.attrs;
    let ty = &input.field.ty;
    let name = input.ident.unraw().to_string();
    let base = |kind, storage| ir::Field {
        ident: input.ident.clone(),
        vis: input.field.vis.clone(),
        ty: spanned_at_stored_type(ty),
        kind,
        storage,
        related_name: None,
    };

    if let Some(skip) = attrs.skip.get() {
        // A skipped field may have any type: it is only `Default::default()`-ed.
        for (key, _) in attrs.given_keys() {
            if key != &skip.key {
                cx.error_spanned_by(
                    key,
                    format!(
                        "`{key}` cannot be combined with `skip`: a skipped field is not stored"
                    ),
                );
            }
        }
        return base(None, Storage::Skipped);
    }

    let kind = match classify(ty, false) {
        Ok(kind) => Some(kind),
        Err(err) => {
            cx.syn_error(err);
            None
        }
    };
    let shown = pretty_tokens(ty);
    let related_name = check_related_name(cx, attrs, kind, ty, &name, &shown);
    if let Some(kind) = kind
        && kind.scalar == Scalar::ManyToMany
    {
        let mut field = base(
            Some(kind),
            check_many_to_many(cx, attrs, kind, ty, &name, &shown),
        );
        field.related_name = related_name;
        return field;
    }
    if let Some(given) = attrs.through_table.get() {
        cx.error_spanned_by(
            &given.key,
            format!("`through_table` applies to `ManyToMany<M>` fields, but `{name}` is `{shown}`"),
        );
    }
    // Checks that need the type are skipped when the type itself is rejected.
    let type_is = |accept: &dyn Fn(TypeKind) -> bool| kind.is_none_or(accept);

    // An alias or a newtype (`Other`) may hold text: the expansion checks it with a
    // `TextColumn` bound under the field's type instead.
    let string_only = |k: TypeKind| matches!(k.scalar, Scalar::String | Scalar::Other);
    let string_options = [
        attrs.max_length.get().map(|given| &given.key),
        attrs.email.get().map(|given| &given.key),
        attrs.url.get().map(|given| &given.key),
        attrs.normalize.get().map(|given| &given.key),
        attrs.case_insensitive.get().map(|given| &given.key),
    ];
    for key in string_options.into_iter().flatten() {
        if !type_is(&string_only) {
            cx.error_spanned_by(
                key,
                format!("`{key}` applies to `String` and `Option<String>` fields, but `{name}` is `{shown}`"),
            );
        }
    }

    if let Some(given) = attrs.case_insensitive.get()
        && !attrs.unique.is_set()
    {
        cx.error_spanned_by(
            &given.key,
            "`case_insensitive` makes a unique field unique regardless of case: write `#[field(unique, case_insensitive)]`",
        );
    }

    let max_length =
        attrs
            .max_length
            .get()
            .and_then(|given| match given.value.base10_parse::<u32>() {
                Ok(0) => {
                    cx.error_spanned_by(&given.value, "`max_length` must be greater than 0");
                    None
                }
                Ok(n) => Some(n),
                Err(_) => {
                    cx.error_spanned_by(
                        &given.value,
                        "`max_length` must be a whole number between 1 and 4294967295",
                    );
                    None
                }
            });

    // Whether the type can hold the current time is left to the `AutoNow` bound
    // that the expansion puts under the field's type, so an alias of
    // `DateTime<Utc>` is accepted and a wrong type is reported by the compiler.
    if let (Some(now), Some(add)) = (attrs.auto_now.get(), attrs.auto_now_add.get()) {
        let second = if now.order > add.order {
            &now.key
        } else {
            &add.key
        };
        cx.error_spanned_by(
            second,
            "`auto_now` and `auto_now_add` cannot be combined: `auto_now` already sets the field at creation; keep one",
        );
    }

    if let Some(given) = attrs.primary_key.get() {
        match kind {
            Some(TypeKind { scalar: Scalar::I64 | Scalar::Uuid, optional: true }) => {
                let inner = option_inner(ty).map_or_else(|| shown.clone(), pretty_tokens);
                cx.error_spanned_by(
                    &given.key,
                    format!("a primary key cannot be optional: write `{inner}` instead of `{shown}`"),
                );
            }
            Some(TypeKind { scalar: Scalar::I64 | Scalar::Uuid, optional: false }) | None => {}
            Some(_) => cx.error_spanned_by(
                &given.key,
                format!(
                    "`primary_key` needs an `i64` (assigned by the database) or `Uuid` (generated) field, but `{name}` is `{shown}`"
                ),
            ),
        }
        if let Some(default) = attrs.default.get() {
            cx.error_spanned_by(
                &default.key,
                "a primary key cannot have a `default`: `i64` keys are assigned by the database and `Uuid` keys are generated",
            );
        }
    }

    let relation = kind.is_some_and(|k| k.scalar == Scalar::ForeignKey);
    let on_delete = check_on_delete(cx, attrs, kind, &name, &shown);

    let column = match attrs.column.get() {
        Some(given) if given.value.value().trim().is_empty() => {
            cx.error_spanned_by(
                &given.value,
                "`column` cannot be empty: give a column name or remove `column`",
            );
            String::new()
        }
        Some(given) => given.value.value(),
        None if relation => format!("{name}_id"),
        None => name.clone(),
    };

    let mut field = base(
        kind,
        Storage::Column(Box::new(Column {
            index,
            name,
            column,
            primary_key: attrs.primary_key.is_set(),
            unique: attrs.unique.is_set(),
            case_insensitive: attrs.case_insensitive.is_set(),
            indexed: attrs.index.is_set() || relation,
            max_length,
            default: attrs.default.get().map(|given| given.value.clone()),
            auto_now_add: attrs.auto_now_add.is_set(),
            auto_now: attrs.auto_now.is_set(),
            email: attrs.email.is_set(),
            url: attrs.url.is_set(),
            normalize: attrs.normalize.get().map(|given| given.value.clone()),
            on_delete: relation.then(|| on_delete.unwrap_or(OnDelete::Cascade)),
        })),
    );
    field.related_name = related_name;
    field
}

/// A `ManyToMany<M>` field: not optional, no column option, a join table.
fn check_many_to_many(
    cx: &Ctxt,
    attrs: &FieldAttrs,
    kind: TypeKind,
    ty: &Type,
    name: &str,
    shown: &str,
) -> Storage {
    if kind.optional {
        let inner = option_inner(ty).map_or_else(|| shown.to_owned(), pretty_tokens);
        cx.error_spanned_by(
            ty,
            format!("a many-to-many field cannot be optional: write `{inner}`, which is empty when nothing is linked"),
        );
        return Storage::Skipped;
    }
    for (key, _) in attrs.given_keys() {
        if key != "through_table" && key != "related_name" {
            cx.error_spanned_by(
                key,
                format!(
                    "`{key}` does not apply to many-to-many field `{name}`: it is a join table, not a column; it takes `through_table` and `related_name`"
                ),
            );
        }
    }
    let through_table = attrs.through_table.get().and_then(|given| {
        let value = given.value.value();
        if value.trim().is_empty() {
            cx.error_spanned_by(
                &given.value,
                "`through_table` cannot be empty: give a table name or remove it",
            );
            None
        } else {
            Some(value)
        }
    });
    let stored = option_inner(ty).unwrap_or(ty);
    let Some(target) = type_argument(stored) else {
        cx.error_spanned_by(
            ty,
            format!("`{name}` needs the related model: write `ManyToMany<Tag>`"),
        );
        return Storage::Skipped;
    };
    Storage::ManyToMany(Box::new(ir::ManyToMany {
        name: name.to_owned(),
        target: target.clone(),
        through_table,
    }))
}

/// `related_name = "posts"`: on a relation only, a valid method name; returns
/// that name spanned at the literal, with the related model's type.
fn check_related_name(
    cx: &Ctxt,
    attrs: &FieldAttrs,
    kind: Option<TypeKind>,
    ty: &Type,
    name: &str,
    shown: &str,
) -> Option<(Ident, Type)> {
    let given = attrs.related_name.get()?;
    let kind = kind?;
    if !matches!(kind.scalar, Scalar::ForeignKey | Scalar::ManyToMany) {
        cx.error_spanned_by(
            &given.key,
            format!("`related_name` applies to `ForeignKey<M>` and `ManyToMany<M>` fields, but `{name}` is `{shown}`"),
        );
        return None;
    }
    let value = given.value.value();
    let Ok(method) = syn::parse_str::<Ident>(&value) else {
        cx.error_spanned_by(
            &given.value,
            format!("`related_name` is the name of the method generated on the related model: write a Rust identifier such as `related_name = \"posts\"`, not \"{value}\""),
        );
        return None;
    };
    let target = type_argument(option_inner(ty).unwrap_or(ty))?;
    Some((
        Ident::new(&method.to_string(), given.value.span()),
        target.clone(),
    ))
}

/// `on_delete`: only on foreign keys, one of three rules, `set_null` only when
/// the key is optional.
fn check_on_delete(
    cx: &Ctxt,
    attrs: &FieldAttrs,
    kind: Option<TypeKind>,
    name: &str,
    shown: &str,
) -> Option<OnDelete> {
    const RULES: &[&str] = &["cascade", "set_null", "restrict"];
    let given = attrs.on_delete.get()?;
    if let Some(kind) = kind
        && kind.scalar != Scalar::ForeignKey
    {
        cx.error_spanned_by(
            &given.key,
            format!("`on_delete` applies to `ForeignKey<M>` fields, but `{name}` is `{shown}`"),
        );
    }
    let value = given.value.value();
    let rule = match value.as_str() {
        "cascade" => OnDelete::Cascade,
        "set_null" => OnDelete::SetNull,
        "restrict" => OnDelete::Restrict,
        other => {
            let hint = did_you_mean(other, RULES)
                .map_or_else(String::new, |rule| format!("; did you mean \"{rule}\"?"));
            cx.error_spanned_by(
                &given.value,
                format!("unknown `on_delete` rule \"{other}\": expected \"cascade\", \"set_null\" or \"restrict\"{hint}"),
            );
            return None;
        }
    };
    if rule == OnDelete::SetNull
        && let Some(TypeKind {
            scalar: Scalar::ForeignKey,
            optional: false,
        }) = kind
    {
        cx.error_spanned_by(
            &given.value,
            format!(
                "`on_delete = \"set_null\"` needs a nullable foreign key: write `Option<{shown}>`"
            ),
        );
    }
    Some(rule)
}

/// Checks the field names of `unique_together` or `indexes`.
fn check_name_groups(
    cx: &Ctxt,
    option: &str,
    groups: Option<&Vec<NameGroup>>,
    fields: &[FieldInput<'_>],
) -> Vec<Vec<String>> {
    let Some(groups) = groups else {
        return Vec::new();
    };
    let names: Vec<String> = fields.iter().map(|f| f.ident.unraw().to_string()).collect();
    let persisted: Vec<&str> = fields
        .iter()
        .zip(&names)
        .filter(|(f, _)| !f.attrs.skip.is_set())
        .map(|(_, n)| n.as_str())
        .collect();
    let mut out = Vec::with_capacity(groups.len());
    for group in groups {
        if group.names.is_empty() {
            cx.error_at(
                group.span,
                format!("an entry of `{option}` needs at least one field name"),
            );
        }
        let mut seen: Vec<String> = Vec::new();
        for lit in &group.names {
            let value = lit.value();
            if seen.contains(&value) {
                cx.error_spanned_by(
                    lit,
                    format!("field `{value}` appears twice in this entry of `{option}`"),
                );
            } else if names.contains(&value) && !persisted.contains(&value.as_str()) {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "field `{value}` is `#[field(skip)]`: it has no column to use in `{option}`"
                    ),
                );
            } else if !names.contains(&value) {
                let message = match did_you_mean(&value, &persisted) {
                    Some(suggestion) => format!(
                        "unknown field `{value}` in `{option}`; did you mean `{suggestion}`?"
                    ),
                    None => format!(
                        "unknown field `{value}` in `{option}`; the fields are: {}",
                        persisted
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                cx.error_spanned_by(lit, message);
            }
            seen.push(value);
        }
        out.push(seen);
    }
    out
}

/// `ty`, where an `Option<T>` has its `Option<`…`>` tokens respanned to the first
/// and last tokens of `T`: rustc reports a problem with the stored type (`T` is not
/// a `FieldType`, `ForeignKey<M>` to a non-model) under `T`, where it also reports
/// it for the struct itself, so the two are one error.
fn spanned_at_stored_type(ty: &Type) -> Type {
    let Some(inner) = option_inner(ty) else {
        return ty.clone();
    };
    let inner_tokens: Vec<TokenTree> = inner.to_token_stream().into_iter().collect();
    let (Some(first), Some(last)) = (inner_tokens.first(), inner_tokens.last()) else {
        return ty.clone();
    };
    let (first, last) = (first.span(), last.span());
    let mut tokens: Vec<TokenTree> = ty.to_token_stream().into_iter().collect();
    // `…Option` `<` inner `>`: everything before the inner type, then the `>`.
    let Some(close) = tokens.len().checked_sub(1) else {
        return ty.clone();
    };
    let Some(open_end) = close.checked_sub(inner_tokens.len()) else {
        return ty.clone();
    };
    for token in &mut tokens[..open_end] {
        token.set_span(first);
    }
    tokens[close].set_span(last);
    syn::parse2(tokens.into_iter().collect()).unwrap_or_else(|_| ty.clone())
}

/// `BlogPost` → `blog_post`, `HTTPRequest` → `http_request`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(char::is_lowercase));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use syn::DeriveInput;

    use super::*;

    fn run(input: &DeriveInput) -> (Option<ir::Model>, Vec<String>) {
        let cx = Ctxt::new();
        let container = Container::from_ast(&cx, input);
        let model = check(&cx, &container);
        let errors = match cx.check() {
            Ok(()) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        };
        (model, errors)
    }

    fn errors(input: &DeriveInput) -> Vec<String> {
        run(input).1
    }

    #[test]
    fn a_valid_model_builds_its_ir() {
        let input: DeriveInput = syn::parse_quote! {
            #[model(table = "posts", unique_together = [["author", "title"]])]
            pub struct Post {
                #[field(primary_key)] pub id: Uuid,
                #[field(max_length = 200)] pub title: String,
                pub author: ForeignKey<Author>,
                #[field(default = false)] pub published: bool,
                #[field(auto_now)] pub updated_at: DateTime<Utc>,
                #[field(skip)] pub cache: Option<String>,
            }
        };
        let (model, errors) = run(&input);
        assert!(errors.is_empty(), "{errors:?}");
        let model = model.unwrap();
        assert_eq!(model.table, "posts");
        assert_eq!(model.primary_key, Some(0));
        let columns: Vec<_> = model
            .columns()
            .map(|(_, c)| (c.index, c.column.clone()))
            .collect();
        assert_eq!(
            columns,
            [
                (0, "id".into()),
                (1, "title".into()),
                (2, "author_id".into()),
                (3, "published".into()),
                (4, "updated_at".into())
            ]
        );
        let author = model.columns().nth(2).unwrap().1;
        assert!(author.indexed);
        assert_eq!(author.on_delete, Some(OnDelete::Cascade));
        assert_eq!(model.unique_together, [["author", "title"]]);
    }

    #[test]
    fn optional_types_keep_their_tokens() {
        for ty in [
            syn::parse_quote!(Option<ForeignKey<Author>>),
            syn::parse_quote!(::core::option::Option<Vec<u8>>),
            syn::parse_quote!(Option<i64>),
            syn::parse_quote!(Vec<u8>),
        ] {
            let ty: Type = ty;
            assert_eq!(
                pretty_tokens(&spanned_at_stored_type(&ty)),
                pretty_tokens(&ty)
            );
        }
    }

    #[test]
    fn table_defaults_to_snake_case() {
        assert_eq!(snake_case("BlogPost"), "blog_post");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("Post2Tag"), "post2_tag");
        assert_eq!(snake_case("post"), "post");
    }

    #[test]
    fn missing_primary_key() {
        let input: DeriveInput = syn::parse_quote! { struct Post { title: String } };
        assert_eq!(
            errors(&input),
            [
                "`Post` has no primary key: mark an `i64` or `Uuid` field with `#[field(primary_key)]`"
            ]
        );
    }

    #[test]
    fn two_errors_in_one_struct_are_both_reported() {
        let input: DeriveInput = syn::parse_quote! {
            struct Post {
                #[field(primary_key)] id: i64,
                #[field(primary_key)] other: i64,
                #[field(max_length = 0)] title: String,
                count: u64,
            }
        };
        assert_eq!(
            errors(&input),
            [
                "`Post` has two primary keys: `id` is already marked `#[field(primary_key)]`",
                "`max_length` must be greater than 0",
                "unsupported field type `u64`: Aksara stores i16, i32 or i64; use i64",
            ]
        );
    }

    #[test]
    fn options_on_the_wrong_type() {
        let input: DeriveInput = syn::parse_quote! {
            struct Post {
                #[field(primary_key, default = 1)] id: Option<i64>,
                #[field(max_length = 5, email, url)] count: i64,
                #[field(auto_now_add, auto_now)] at: DateTime<Utc>,
                #[field(on_delete = "cascade")] name: String,
                #[field(on_delete = "set_null")] author: ForeignKey<Author>,
                #[field(on_delete = "nope")] editor: Option<ForeignKey<Author>>,
                #[field(on_delete = "setnull")] owner: Option<ForeignKey<Author>>,
                #[field(skip, unique)] cache: u64,
                #[field(column = "")] empty: i32,
            }
        };
        assert_eq!(
            errors(&input),
            [
                "a primary key cannot be optional: write `i64` instead of `Option<i64>`",
                "a primary key cannot have a `default`: `i64` keys are assigned by the database and `Uuid` keys are generated",
                "`max_length` applies to `String` and `Option<String>` fields, but `count` is `i64`",
                "`email` applies to `String` and `Option<String>` fields, but `count` is `i64`",
                "`url` applies to `String` and `Option<String>` fields, but `count` is `i64`",
                "`auto_now` and `auto_now_add` cannot be combined: `auto_now` already sets the field at creation; keep one",
                "`on_delete` applies to `ForeignKey<M>` fields, but `name` is `String`",
                "`on_delete = \"set_null\"` needs a nullable foreign key: write `Option<ForeignKey<Author>>`",
                "unknown `on_delete` rule \"nope\": expected \"cascade\", \"set_null\" or \"restrict\"",
                "unknown `on_delete` rule \"setnull\": expected \"cascade\", \"set_null\" or \"restrict\"; did you mean \"set_null\"?",
                "`unique` cannot be combined with `skip`: a skipped field is not stored",
                "`column` cannot be empty: give a column name or remove `column`",
            ]
        );
    }

    #[test]
    fn text_options_on_an_alias_are_left_to_the_bound() {
        let input: DeriveInput = syn::parse_quote! {
            struct Page {
                #[field(primary_key)] id: i64,
                #[field(unique, case_insensitive, max_length = 50, email, url)] slug: Slug,
                #[field(max_length = 50)] previous: Option<Slug>,
            }
        };
        let (model, errors) = run(&input);
        assert!(errors.is_empty(), "{errors:?}");
        let model = model.unwrap();
        assert!(
            model
                .columns()
                .all(|(_, c)| c.primary_key || c.has_text_option())
        );
    }

    #[test]
    fn timestamp_options_on_an_alias_are_left_to_the_bound() {
        let input: DeriveInput = syn::parse_quote! {
            struct Note {
                #[field(primary_key)] id: i64,
                #[field(auto_now_add)] created: Stamp,
                #[field(auto_now)] touched: Option<Stamp>,
            }
        };
        let (model, errors) = run(&input);
        assert!(errors.is_empty(), "{errors:?}");
        let columns: Vec<_> = model
            .unwrap()
            .columns()
            .map(|(_, c)| (c.auto_now_add, c.auto_now))
            .collect();
        assert_eq!(columns, [(false, false), (true, false), (false, true)]);
    }

    #[test]
    fn primary_key_type() {
        let input: DeriveInput = syn::parse_quote! {
            struct Post { #[field(primary_key)] id: i32 }
        };
        assert_eq!(
            errors(&input),
            [
                "`primary_key` needs an `i64` (assigned by the database) or `Uuid` (generated) field, but `id` is `i32`"
            ]
        );
    }

    #[test]
    fn unsupported_types_say_what_to_write() {
        let input: DeriveInput = syn::parse_quote! {
            struct Post<'a> {
                #[field(primary_key)] id: i64,
                a: u8, b: char, c: &'a str, d: (i64, String), e: [u8; 16],
                f: Box<String>, g: Vec<String>, h: Option<u32>, i: Option<Option<i64>>,
                j: Email, k: Json<Vec<String>>, l: chrono::DateTime<chrono::Utc>,
            }
        };
        assert_eq!(
            errors(&input),
            [
                "`#[derive(Model)]` does not support lifetime parameters: remove `'a` and store owned values such as `String`",
                "unsupported field type `u8`: Aksara stores i16, i32 or i64; use i16",
                "unsupported field type `char`: use `String` with `#[field(max_length = 1)]`",
                "unsupported field type `&'a str`: a model owns its data; use `String`",
                "unsupported field type `(i64, String)`: a column holds one value; use one field per value, or `Json<(i64, String)>`",
                "unsupported field type `[u8; 16]`: use `Vec<u8>`",
                "unsupported field type `Box<String>`: store the value itself, `String`",
                "unsupported field type `Vec<String>`: only `Vec<u8>` (bytes) is stored in a column; store a list as `Json<Vec<String>>`",
                "unsupported field type `u32`: Aksara stores i16, i32 or i64; use i64",
                "unsupported field type `Option<Option<i64>>`: a column is either NULL or a value; use a single `Option<…>`",
            ]
        );
    }

    #[test]
    fn wrong_shapes() {
        let input: DeriveInput = syn::parse_quote! { enum Post { A } };
        assert_eq!(
            errors(&input),
            [
                "`#[derive(Model)]` cannot be used on an enum: a model is a struct with named fields, one per column"
            ]
        );
        let input: DeriveInput = syn::parse_quote! { struct Post(i64); };
        assert_eq!(
            errors(&input),
            [
                "`#[derive(Model)]` needs named fields: write `struct Post { id: i64, … }` instead of a tuple struct"
            ]
        );
        let input: DeriveInput = syn::parse_quote! { struct Post; };
        assert_eq!(
            errors(&input),
            [
                "`#[derive(Model)]` needs named fields, but `Post` is a unit struct: add fields such as `#[field(primary_key)] id: i64`"
            ]
        );
        let input: DeriveInput =
            syn::parse_quote! { struct Post<T> { #[field(primary_key)] id: i64, t: T } };
        let (model, errors) = run(&input);
        assert!(model.is_none());
        assert_eq!(
            errors,
            [
                "`#[derive(Model)]` does not support generic structs: remove the type parameter `T` and name the field types"
            ]
        );
    }

    #[test]
    fn constraint_names_are_checked() {
        let input: DeriveInput = syn::parse_quote! {
            #[model(unique_together = [["author", "slg"]], indexes = [[], ["cache", "zzz", "author", "author"]])]
            struct Post {
                #[field(primary_key)] id: i64,
                author: i64,
                slug: String,
                #[field(skip)] cache: i64,
            }
        };
        assert_eq!(
            errors(&input),
            [
                "unknown field `slg` in `unique_together`; did you mean `slug`?",
                "an entry of `indexes` needs at least one field name",
                "field `cache` is `#[field(skip)]`: it has no column to use in `indexes`",
                "unknown field `zzz` in `indexes`; the fields are: `id`, `author`, `slug`",
                "field `author` appears twice in this entry of `indexes`",
            ]
        );
    }

    #[test]
    fn column_clashes_and_exec() {
        let input: DeriveInput = syn::parse_quote! {
            struct Post {
                #[field(primary_key)] id: i64,
                author: ForeignKey<Author>,
                author_id: i64,
                #[field(column = "id")] other: i64,
                exec: bool,
            }
        };
        assert_eq!(
            errors(&input),
            [
                "column `author_id` is already used by field `author`; choose another name with `#[field(column = \"…\")]`",
                "column `id` is already used by field `id`; choose another name with `#[field(column = \"…\")]`",
                "a field named `exec` clashes with `PostCreate::exec`; rename the field and keep its column with `#[field(column = \"exec\")]`",
            ]
        );
    }
}
