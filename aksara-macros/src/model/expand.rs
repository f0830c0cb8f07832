//! Tokens for a validated [`Model`]: the create builder, the inherent column
//! constants and `objects()`, and — inside an anonymous `const _: () = { … };` —
//! the `Model` impl and the registration. Every path goes through
//! `<runtime>::__private` and `::core` / `::std`, so user imports and shadowed
//! prelude names (`Result`, `Option`, `Ok`, `Some`) do not matter. Expressions
//! that name a field's type are spanned over that type ([`SourceSpan`]), so a
//! type the runtime rejects is reported under the field, once.
//!
//! [`fallback`] is the stub emitted beside compile errors so that a mistake in
//! the attributes gives its own message and no "`Post` is not a model" cascade.

use proc_macro2::{Group, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::ext::IdentExt;

use super::ir::{Column, Field, ManyToMany as ManyToManyIr, Model, OnDelete, Scalar};

/// The full expansion of a model that passed validation.
pub(crate) fn model(model: &Model) -> TokenStream {
    let rt = &model.runtime;
    let ident = &model.ident;
    let create = create_ident(model);
    let builder = create_builder(model);
    let inherent = inherent_impls(model);
    let pk_index = model
        .primary_key
        .expect("a validated model has a primary key");
    let (pk_field, _) = model
        .columns()
        .nth(pk_index)
        .expect("the primary key is a column");
    let pk_ident = &pk_field.ident;
    let pk_ty = &pk_field.ty;

    let name = ident.unraw().to_string();
    let table = &model.table;
    let field_metas = model
        .columns()
        .map(|(field, column)| field_meta(rt, field, column));
    let pk_literal = Literal::usize_unsuffixed(pk_index);
    let unique_together = name_lists(&model.unique_together);
    let indexes = name_lists(&model.indexes);

    let row_inits = model.fields.iter().map(|field| {
        let field_ident = &field.ident;
        match column_of(field) {
            Some(column) => {
                let decode = field_type_item(rt, field, "decode");
                let offset = if column.index == 0 {
                    quote!(offset)
                } else {
                    let index = Literal::usize_unsuffixed(column.index);
                    quote!(offset + #index)
                };
                let call = SourceSpan::of(&field.ty).last(quote!((row, #offset)?));
                quote!(#field_ident: #decode #call)
            }
            None => skipped_init(field),
        }
    });
    let value_inits = model.fields.iter().map(|field| {
        let field_ident = &field.ident;
        match column_of(field) {
            Some(column) => {
                let ty = &field.ty;
                let span = SourceSpan::of(ty);
                let take = span.wrap(quote!(#rt::__private::take_value::<), ty, quote!(>));
                let name = &column.name;
                let call = span.last(quote!((&mut values, #name)?));
                quote!(#field_ident: #take #call)
            }
            None => skipped_init(field),
        }
    });
    let to_values = model.columns().map(|(field, _)| {
        let to_value = field_type_item(rt, field, "to_value");
        let field_ident = &field.ident;
        quote!(#to_value(&self.#field_ident))
    });
    // Names each field type through `FieldType` before `take_value` does: when a
    // type is not a `FieldType`, rustc reports this plain use and drops the
    // obligation of `take_value`, which has the same span, so the mistake gives one
    // error instead of one per generated function.
    let type_checks = model
        .columns()
        .map(|(field, _)| field_type_item(rt, field, "NULLABLE"));

    // A type recognised as `String` needs no check; an alias or a newtype is
    // checked here, under its own tokens, so that `type Slug = String;` works and a
    // non-text type gets `TextColumn`'s message where the field's type is written.
    let text_checks = model
        .columns()
        .filter(|(field, column)| {
            column.has_text_option() && field.kind.is_some_and(|kind| kind.scalar == Scalar::Other)
        })
        .map(|(field, _)| {
            let ty = &field.ty;
            let call = SourceSpan::of(ty).wrap(quote!(holds_text::<), ty, quote!(>()));
            quote! {
                const _: fn() = || {
                    fn holds_text<T: ?::core::marker::Sized + #rt::__private::TextColumn>() {}
                    #call;
                };
            }
        });

    let defaults: Vec<TokenStream> = model
        .columns()
        .filter_map(|(field, column)| {
            let expr = column.default.as_ref()?;
            let to_value = field_type_item(rt, field, "to_value");
            let ty = &field.ty;
            let index = Literal::usize_unsuffixed(column.index);
            // Spanned at the expression: a value of the wrong type is reported there.
            let into =
                SourceSpan::of(expr).wrap(quote!(::core::convert::Into::<), ty, quote!(>::into));
            Some(quote! {
                #index => ::core::option::Option::Some(#to_value(&#into(#expr))),
            })
        })
        .collect();
    let default_value = if defaults.is_empty() {
        quote! {
            fn default_value(_index: usize) -> ::core::option::Option<#rt::__private::Value> {
                ::core::option::Option::None
            }
        }
    } else {
        quote! {
            fn default_value(index: usize) -> ::core::option::Option<#rt::__private::Value> {
                match index {
                    #(#defaults)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    };

    // Both go through `AutoNow`, spanned at the field's type: the compiler sees
    // through an alias (`type Stamp = DateTime<Utc>;`), and a type that is not a
    // timestamp gets `AutoNow`'s message under the type (once, as both uses carry
    // the same obligation at the same span).
    let auto_now_at = |field: &Field| {
        let ty = &field.ty;
        SourceSpan::of(ty).wrap(quote!(<), ty, quote!(as #rt::__private::AutoNow>::at(now)))
    };
    let auto_values: Vec<TokenStream> = model
        .columns()
        .filter(|(_, column)| column.auto_now || column.auto_now_add)
        .map(|(field, column)| {
            let index = Literal::usize_unsuffixed(column.index);
            let to_value = field_type_item(rt, field, "to_value");
            let at = auto_now_at(field);
            quote!(#index => ::core::option::Option::Some(#to_value(&#at)),)
        })
        .collect();
    let auto_now_value = if auto_values.is_empty() {
        quote! {
            fn auto_now_value(
                _index: usize,
                _now: #rt::__private::DateTime<#rt::__private::Utc>,
            ) -> ::core::option::Option<#rt::__private::Value> {
                ::core::option::Option::None
            }
        }
    } else {
        quote! {
            fn auto_now_value(
                index: usize,
                now: #rt::__private::DateTime<#rt::__private::Utc>,
            ) -> ::core::option::Option<#rt::__private::Value> {
                match index {
                    #(#auto_values)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    };

    let touched: Vec<TokenStream> = model
        .columns()
        .filter(|(_, column)| column.auto_now)
        .map(|(field, _)| {
            let field_ident = &field.ident;
            let at = auto_now_at(field);
            quote!(self.#field_ident = #at;)
        })
        .collect();
    let now = if touched.is_empty() {
        quote!(_now)
    } else {
        quote!(now)
    };
    let touch_auto_now = quote! {
        fn touch_auto_now(&mut self, #now: #rt::__private::DateTime<#rt::__private::Utc>) {
            #(#touched)*
        }
    };

    let relations: Vec<TokenStream> = model
        .columns()
        .filter(|(field, _)| {
            field
                .kind
                .is_some_and(|kind| kind.scalar == Scalar::ForeignKey)
        })
        .map(|(field, column)| {
            let index = Literal::usize_unsuffixed(column.index);
            let field_ident = &field.ident;
            let ty = &field.ty;
            let attach = SourceSpan::of(ty).wrap(
                quote!(<),
                ty,
                quote!(as #rt::__private::RelationField>::attach),
            );
            quote!(#index => #attach(&mut self.#field_ident, row, offset),)
        })
        .collect();
    let attach_related = if relations.is_empty() {
        quote! {
            fn attach_related(
                &mut self,
                _index: usize,
                _row: &#rt::__private::Row,
                _offset: usize,
            ) -> #rt::__private::Result<()> {
                ::core::result::Result::Ok(())
            }
        }
    } else {
        quote! {
            fn attach_related(
                &mut self,
                index: usize,
                row: &#rt::__private::Row,
                offset: usize,
            ) -> #rt::__private::Result<()> {
                match index {
                    #(#relations)*
                    _ => ::core::result::Result::Ok(()),
                }
            }
        }
    };

    quote! {
        #builder
        #inherent

        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all, clippy::pedantic)]
        const _: () = {
            #[automatically_derived]
            impl #rt::__private::CreateBuilder<#ident> for #create {
                fn from_create(inner: #rt::__private::Create<#ident>) -> Self {
                    Self(inner)
                }

                fn into_create(self) -> #rt::__private::Create<#ident> {
                    self.0
                }
            }

            #[automatically_derived]
            impl #rt::__private::Model for #ident {
                type PrimaryKey = #pk_ty;
                type Create = #create;

                const META: &'static #rt::__private::ModelMeta = &__AKSARA_META;

                fn from_row(row: &#rt::__private::Row, offset: usize) -> #rt::__private::Result<Self> {
                    ::core::result::Result::Ok(Self { #(#row_inits,)* })
                }

                fn from_values(
                    values: ::std::vec::Vec<#rt::__private::Value>,
                ) -> #rt::__private::Result<Self> {
                    let _ = [#(#type_checks),*];
                    let mut values = ::core::iter::IntoIterator::into_iter(values);
                    ::core::result::Result::Ok(Self { #(#value_inits,)* })
                }

                fn to_values(&self) -> ::std::vec::Vec<#rt::__private::Value> {
                    ::std::vec![#(#to_values),*]
                }

                // `#pk_ty` rather than `Self::PrimaryKey`: the projection would make
                // each signature check the impl again and repeat its errors.
                fn primary_key(&self) -> &#pk_ty {
                    &self.#pk_ident
                }

                fn set_primary_key(&mut self, key: #pk_ty) {
                    self.#pk_ident = key;
                }

                #default_value

                #auto_now_value

                #touch_auto_now

                #attach_related
            }

            // A static: `META` has one address, and registering it does not go
            // through the `Model` impl, so a field type that breaks the impl (a
            // `ForeignKey` to a struct that is not a model) adds no error here.
            static __AKSARA_META: #rt::__private::ModelMeta = #rt::__private::ModelMeta {
                name: #name,
                table: #table,
                fields: &[#(#field_metas),*],
                primary_key: #pk_literal,
                unique_together: #unique_together,
                indexes: #indexes,
            };

            #rt::__private::inventory::submit! {
                #rt::__private::ModelRegistration::new(&__AKSARA_META)
            }

            #(#text_checks)*
        };
    }
}

/// The stub emitted beside compile errors: the create builder, the inherent items
/// of the fields whose types were understood, and a `Model` impl whose bodies are
/// never run (the crate does not build). It keeps uses of the model elsewhere
/// from adding errors of their own.
pub(crate) fn fallback(model: &Model) -> TokenStream {
    let rt = &model.runtime;
    let ident = &model.ident;
    let create = create_ident(model);
    let builder = create_builder(model);
    let inherent = inherent_impls(model);
    let pk_ty = model
        .primary_key
        .and_then(|index| model.columns().nth(index))
        .filter(|(field, _)| field.kind.is_some_and(|kind| kind.scalar != Scalar::Other))
        .map_or_else(
            || quote!(i64),
            |(field, _)| {
                let ty = &field.ty;
                quote!(#ty)
            },
        );
    let name = ident.unraw().to_string();
    let table = &model.table;
    quote! {
        #builder
        #inherent

        #[doc(hidden)]
        #[allow(unused_variables, unreachable_code, clippy::all, clippy::pedantic)]
        const _: () = {
            impl #rt::__private::CreateBuilder<#ident> for #create {
                fn from_create(inner: #rt::__private::Create<#ident>) -> Self {
                    Self(inner)
                }

                fn into_create(self) -> #rt::__private::Create<#ident> {
                    self.0
                }
            }

            impl #rt::__private::Model for #ident {
                type PrimaryKey = #pk_ty;
                type Create = #create;

                const META: &'static #rt::__private::ModelMeta = &#rt::__private::ModelMeta {
                    name: #name,
                    table: #table,
                    fields: &[],
                    primary_key: 0,
                    unique_together: &[],
                    indexes: &[],
                };

                fn from_row(row: &#rt::__private::Row, offset: usize) -> #rt::__private::Result<Self> {
                    ::core::unreachable!("the compile error above explains what to fix")
                }

                fn from_values(
                    values: ::std::vec::Vec<#rt::__private::Value>,
                ) -> #rt::__private::Result<Self> {
                    ::core::unreachable!("the compile error above explains what to fix")
                }

                fn to_values(&self) -> ::std::vec::Vec<#rt::__private::Value> {
                    ::core::unreachable!("the compile error above explains what to fix")
                }

                fn primary_key(&self) -> &Self::PrimaryKey {
                    ::core::unreachable!("the compile error above explains what to fix")
                }

                fn set_primary_key(&mut self, key: Self::PrimaryKey) {}

                fn default_value(index: usize) -> ::core::option::Option<#rt::__private::Value> {
                    ::core::option::Option::None
                }

                fn auto_now_value(
                    index: usize,
                    now: #rt::__private::DateTime<#rt::__private::Utc>,
                ) -> ::core::option::Option<#rt::__private::Value> {
                    ::core::option::Option::None
                }

                fn touch_auto_now(&mut self, now: #rt::__private::DateTime<#rt::__private::Utc>) {}

                fn attach_related(
                    &mut self,
                    index: usize,
                    row: &#rt::__private::Row,
                    offset: usize,
                ) -> #rt::__private::Result<()> {
                    ::core::result::Result::Ok(())
                }
            }
        };
    }
}

/// `<Struct>Create`.
fn create_ident(model: &Model) -> Ident {
    format_ident!("{}Create", model.ident)
}

/// Where a piece of the input (a field's type, a `default` expression) sits in the
/// source. Generated tokens placed before it take the span of its first token and
/// those after it the span of its last, so an expression built around it spans
/// exactly what the user wrote: an error in it is reported there, and rustc
/// reports the same obligation at the same span once instead of once per
/// generated use.
#[derive(Clone, Copy)]
struct SourceSpan {
    first: Span,
    last: Span,
}

impl SourceSpan {
    fn of(input: &impl ToTokens) -> Self {
        let mut tokens = input.to_token_stream().into_iter();
        let first = tokens
            .next()
            .map_or_else(Span::call_site, |token| token.span());
        let last = tokens.last().map_or(first, |token| token.span());
        Self { first, last }
    }

    /// `before middle after`, with `before` at the input's first token and `after`
    /// at its last; `middle` (usually the input itself) keeps its own spans.
    fn wrap(self, before: TokenStream, middle: impl ToTokens, after: TokenStream) -> TokenStream {
        let mut tokens = respan(before, self.first);
        middle.to_tokens(&mut tokens);
        tokens.extend(self.last(after));
        tokens
    }

    /// `tokens` at the input's last token: the end of an expression that began
    /// with [`SourceSpan::wrap`], such as the arguments and `?` of a call.
    fn last(self, tokens: TokenStream) -> TokenStream {
        respan(tokens, self.last)
    }
}

/// `tokens` with every span, nested groups included, set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                TokenTree::Group(respanned)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

/// `<T as <runtime>::__private::FieldType>::item`, spanning the field's type so
/// that a type which is not a `FieldType` is reported there.
fn field_type_item(rt: &syn::Path, field: &Field, item: &str) -> TokenStream {
    let ty = &field.ty;
    let item = Ident::new(item, Span::call_site());
    SourceSpan::of(ty).wrap(quote!(<), ty, quote!(as #rt::__private::FieldType>::#item))
}

/// The column of a persisted field.
fn column_of(field: &Field) -> Option<&Column> {
    match &field.storage {
        super::ir::Storage::Column(column) => Some(column),
        super::ir::Storage::Skipped | super::ir::Storage::ManyToMany(_) => None,
    }
}

/// `field: Default::default()` for a skipped field, spanned at its type so that a
/// missing `Default` is reported there.
fn skipped_init(field: &Field) -> TokenStream {
    let field_ident = &field.ident;
    let ty = &field.ty;
    let default = SourceSpan::of(ty).wrap(
        quote!(<),
        ty,
        quote!(as ::core::default::Default>::default()),
    );
    quote!(#field_ident: #default)
}

/// `&[&["a", "b"], ...]`.
fn name_lists(lists: &[Vec<String>]) -> TokenStream {
    let lists = lists.iter().map(|names| quote!(&[#(#names),*]));
    quote!(&[#(#lists),*])
}

/// The `FieldMeta` of one column: `FieldMeta::new(..)` plus the options that are set.
fn field_meta(rt: &syn::Path, field: &Field, column: &Column) -> TokenStream {
    let sql_type = field_type_item(rt, field, "SQL_TYPE");
    let nullable = field_type_item(rt, field, "NULLABLE");
    let references = field_type_item(rt, field, "REFERENCES");
    let name = &column.name;
    let column_name = &column.column;
    let mut options = Vec::new();
    if column.primary_key {
        options.push(quote!(primary_key: true));
        options.push(quote!(auto_increment: ::core::matches!(
            #sql_type,
            #rt::__private::SqlType::I64
        )));
    }
    options.push(quote!(nullable: #nullable));
    options.push(quote!(references: #references));
    for (set, key) in [
        (column.unique, quote!(unique)),
        (column.case_insensitive, quote!(case_insensitive)),
        (column.indexed, quote!(index)),
        (column.default.is_some(), quote!(has_default)),
        (column.auto_now_add, quote!(auto_now_add)),
        (column.auto_now, quote!(auto_now)),
        (column.email, quote!(email)),
        (column.url, quote!(url)),
    ] {
        if set {
            options.push(quote!(#key: true));
        }
    }
    if let Some(max_length) = column.max_length {
        let max_length = Literal::u32_unsuffixed(max_length);
        options.push(quote!(max_length: ::core::option::Option::Some(#max_length)));
    }
    if let Some(normalize) = &column.normalize {
        options.push(quote!(normalize: ::core::option::Option::Some(
            #normalize as fn(&str) -> ::std::string::String
        )));
    }
    if let Some(rule) = column.on_delete {
        let variant = match rule {
            OnDelete::Cascade => quote!(Cascade),
            OnDelete::SetNull => quote!(SetNull),
            OnDelete::Restrict => quote!(Restrict),
        };
        options.push(quote!(on_delete: #rt::__private::OnDelete::#variant));
    }
    quote! {
        #rt::__private::FieldMeta {
            #(#options,)*
            ..#rt::__private::FieldMeta::new(#name, #column_name, #sql_type)
        }
    }
}

/// The `<Struct>Create` builder type.
fn create_builder(model: &Model) -> TokenStream {
    let rt = &model.runtime;
    let ident = &model.ident;
    let vis = &model.vis;
    let create = create_ident(model);
    let doc = format!(
        "Create builder for [`{name}`], returned by `{name}::objects().create()`: one setter per field, then `exec(&db)`.",
        name = ident.unraw()
    );
    quote! {
        #[doc = #doc]
        #[must_use = "call `.exec(&db)` to insert the row"]
        #vis struct #create(#rt::__private::Create<#ident>);
    }
}

/// `impl Post { consts; objects() }` and `impl PostCreate { setters; exec() }`.
/// Fields whose type was rejected get neither a constant nor a setter.
fn inherent_impls(model: &Model) -> TokenStream {
    let rt = &model.runtime;
    let ident = &model.ident;
    let vis = &model.vis;
    let create = create_ident(model);
    let name = ident.unraw().to_string();
    let typed = || model.columns().filter(|(field, _)| field.kind.is_some());

    let consts = typed().map(|(field, column)| {
        let field_vis = &field.vis;
        let ty = &field.ty;
        let const_ident = Ident::new(&column.name.to_uppercase(), field.ident.span());
        let index = Literal::usize_unsuffixed(column.index);
        // `Column::new` needs `FieldType`; naming the type through the trait first
        // makes an unsupported type one error under the type (see `type_checks`).
        let check = field_type_item(rt, field, "SQL_TYPE");
        let span = SourceSpan::of(ty);
        let column_type = span.wrap(quote!(#rt::__private::Column<#ident,), ty, quote!(>));
        let new_column = span.wrap(
            quote!(#rt::__private::),
            quote!(),
            quote!(Column::new(#index)),
        );
        let doc = format!(
            " Column `{}` of [`{name}`] (for filters, ordering and updates).",
            column.column
        );
        quote! {
            #[doc = #doc]
            #field_vis const #const_ident: #column_type = {
                let _ = #check;
                #new_column
            };
        }
    });
    let objects_doc = format!(" The query manager of [`{name}`]: `{name}::objects().filter(…)`.");
    let many_to_many = model
        .many_to_many()
        .map(|(field, relation)| many_to_many(model, field, relation));
    let reverse = reverse_accessors(model);

    let setters = typed().map(|(field, column)| {
        let field_ident = &field.ident;
        let ty = &field.ty;
        let index = Literal::usize_unsuffixed(column.index);
        let doc = format!(" Sets `{}`.", column.name);
        let span = SourceSpan::of(ty);
        let operand = span.wrap(quote!(#rt::__private::Assign<), ty, quote!(>));
        let into_value = span.wrap(
            quote!(#rt::__private::),
            quote!(),
            quote!(Assign::into_assigned),
        );
        quote! {
            #[doc = #doc]
            #vis fn #field_ident(mut self, value: impl #operand) -> Self {
                self.0.set(#index, #into_value(value));
                self
            }
        }
    });

    quote! {
        #[allow(dead_code, clippy::must_use_candidate)]
        impl #ident {
            #(#consts)*

            #(#many_to_many)*

            #[doc = #objects_doc]
            #vis fn objects() -> #rt::__private::Manager<#ident> {
                #rt::__private::Manager::new()
            }
        }

        #reverse

        #[allow(dead_code, clippy::missing_errors_doc)]
        impl #create {
            #(#setters)*

            /// Validates, inserts and returns the new row.
            ///
            /// # Errors
            ///
            /// When a value fails validation (`max_length`, `email`, `url`, a
            /// missing required field) or the database refuses the insert.
            //
            // Not an `async fn`: its future would hold a `#ident` and, when a field
            // type is broken, repeat that error at the derive.
            #vis fn exec<'db, E: #rt::__private::Executor + ?::core::marker::Sized>(
                self,
                db: &'db E,
            ) -> impl ::core::future::Future<Output = #rt::__private::Result<#ident>> + 'db {
                self.0.exec(db)
            }
        }
    }
}

/// The constant of a `ManyToMany<M>` field (`Post::TAGS`), and the two hidden
/// functions it holds: the join table's metadata (a static, registered for
/// `migrate`) and the way to the field's value (for `prefetch_related`).
fn many_to_many(model: &Model, field: &Field, relation: &ManyToManyIr) -> TokenStream {
    let rt = &model.runtime;
    let ident = &model.ident;
    let field_ident = &field.ident;
    let field_vis = &field.vis;
    let ty = &field.ty;
    let target = &relation.target;
    let const_ident = Ident::new(&relation.name.to_uppercase(), field.ident.span());
    let join_fn = format_ident!("__aksara_join_{}", relation.name);
    let field_fn = format_ident!("__aksara_field_{}", relation.name);
    let table = relation
        .through_table
        .clone()
        .unwrap_or_else(|| format!("{}_{}", model.table, relation.name));
    let source = super::validate::snake_case(&ident.unraw().to_string());
    let target_name = match target {
        syn::Type::Path(path) => path.path.segments.last().map_or_else(
            || "target".to_owned(),
            |s| super::validate::snake_case(&s.ident.unraw().to_string()),
        ),
        _ => "target".to_owned(),
    };
    let (source, target_name) = if source == target_name {
        (format!("from_{source}"), format!("to_{target_name}"))
    } else {
        (source, target_name)
    };
    let source_column = format!("{source}_id");
    let target_column = format!("{target_name}_id");
    let meta_name = format!("{}.{}", ident.unraw(), relation.name);
    let doc = format!(
        " Many-to-many field `{}` of [`{}`], through table `{table}`: `{}::{const_ident}.of(&instance)` for its links, `.contains(&row)` to filter.",
        relation.name,
        ident.unraw(),
        ident.unraw()
    );
    let span = SourceSpan::of(ty);
    let field_type = span.wrap(
        quote!(#rt::__private::ManyToManyField<#ident,),
        target,
        quote!(>),
    );
    quote! {
        #[doc = #doc]
        #field_vis const #const_ident: #field_type =
            #rt::__private::ManyToManyField::new(Self::#join_fn, Self::#field_fn);

        #[doc(hidden)]
        fn #join_fn() -> &'static #rt::__private::ModelMeta {
            static META: #rt::__private::ModelMeta = #rt::__private::ModelMeta {
                name: #meta_name,
                table: #table,
                fields: &[
                    #rt::__private::join_key(),
                    #rt::__private::join_column::<#ident>(#source, #source_column),
                    #rt::__private::join_column::<#target>(#target_name, #target_column),
                ],
                primary_key: 0,
                unique_together: &[&[#source, #target_name]],
                indexes: &[],
            };
            #rt::__private::inventory::submit! {
                #rt::__private::ModelRegistration::new(&META)
            }
            &META
        }

        #[doc(hidden)]
        fn #field_fn(&mut self) -> &mut #rt::__private::ManyToMany<#target> {
            &mut self.#field_ident
        }
    }
}

/// `related_name = "posts"`: an inherent method on the related model
/// (`author.posts()`, `tag.posts()`) returning the query set of this model's
/// rows that point at it. Inherent, so it needs no import, and the related model
/// must be of the same crate; the method's name is spanned at the literal, so a
/// clash of two reverse names is reported there.
fn reverse_accessors(model: &Model) -> TokenStream {
    let rt = &model.runtime;
    let ident = &model.ident;
    let vis = &model.vis;
    let methods = model.fields.iter().filter_map(|field| {
        let (method, parent) = field.related_name.as_ref()?;
        let name = match &field.storage {
            super::ir::Storage::Column(column) => &column.name,
            super::ir::Storage::ManyToMany(relation) => &relation.name,
            super::ir::Storage::Skipped => return None,
        };
        let const_ident = Ident::new(&name.to_uppercase(), field.ident.span());
        let doc = format!(
            " The [`{model}`] rows whose `{name}` points at this one (`related_name` of `{model}::{name}`): `{model}::{const_ident}.reverse(self)`.",
            model = ident.unraw()
        );
        Some(quote! {
            #[allow(dead_code, clippy::must_use_candidate)]
            impl #parent {
                #[doc = #doc]
                #vis fn #method(&self) -> #rt::__private::Manager<#ident> {
                    #ident::#const_ident.reverse(self)
                }
            }
        })
    });
    quote!(#(#methods)*)
}
