//! Recognition of field types by how they are written, shared by `#[derive(Model)]`
//! (which rejects the types that can never be stored, with what to write instead)
//! and `#[auth_user]` (which reads the text fields a password must not resemble).
//!
//! A name says what a type *is* only for the types Aksara knows; an alias or a
//! newtype is [`Scalar::Other`], and what it can do is left to trait bounds that
//! the compiler checks under the field's type.

use syn::{GenericArgument, PathArguments, Type};

use crate::diagnostics::pretty_tokens;

/// What a field type was recognised as, from its last path segment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct TypeKind {
    /// The stored type.
    pub(crate) scalar: Scalar,
    /// Wrapped in `Option`.
    pub(crate) optional: bool,
}

/// The types the derive recognises; anything else is `Other` and left to the
/// `FieldType` bound.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Scalar {
    /// `bool`.
    Bool,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `String`.
    String,
    /// `Vec<u8>`.
    Bytes,
    /// `Uuid`.
    Uuid,
    /// `DateTime<…>`.
    DateTime,
    /// `NaiveDate`.
    Date,
    /// `serde_json::Value`.
    JsonValue,
    /// `Json<T>`.
    Json,
    /// `ForeignKey<M>`.
    ForeignKey,
    /// `ManyToMany<M>`: not a column; a join table.
    ManyToMany,
    /// A newtype or alias, checked by the `FieldType` bound.
    Other,
}

/// Recognises a field type from its last path segment, rejecting the types that
/// can never be stored (with what to write instead).
pub(crate) fn classify(ty: &Type, optional: bool) -> syn::Result<TypeKind> {
    let shown = pretty_tokens(ty);
    let reject = |message: String| Err(syn::Error::new_spanned(ty, message));
    let other = Ok(TypeKind {
        scalar: Scalar::Other,
        optional,
    });
    match ty {
        Type::Group(group) => classify(&group.elem, optional),
        Type::Paren(paren) => classify(&paren.elem, optional),
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return other;
            };
            let name = last.ident.to_string();
            let args: Vec<&Type> = match &last.arguments {
                PathArguments::AngleBracketed(args) => args
                    .args
                    .iter()
                    .filter_map(|arg| match arg {
                        GenericArgument::Type(ty) => Some(ty),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let plain = last.arguments.is_none();
            let scalar = |scalar| Ok(TypeKind { scalar, optional });
            match name.as_str() {
                "Option" if args.len() == 1 => {
                    if optional || option_inner(args[0]).is_some() {
                        reject(format!(
                            "unsupported field type `{shown}`: a column is either NULL or a value; use a single `Option<…>`"
                        ))
                    } else {
                        classify(args[0], true)
                    }
                }
                "bool" if plain => scalar(Scalar::Bool),
                "i16" if plain => scalar(Scalar::I16),
                "i32" if plain => scalar(Scalar::I32),
                "i64" if plain => scalar(Scalar::I64),
                "f32" if plain => scalar(Scalar::F32),
                "f64" if plain => scalar(Scalar::F64),
                "String" if plain => scalar(Scalar::String),
                "Uuid" if plain => scalar(Scalar::Uuid),
                "NaiveDate" if plain => scalar(Scalar::Date),
                "Value" if plain => scalar(Scalar::JsonValue),
                "DateTime" => scalar(Scalar::DateTime),
                "Json" => scalar(Scalar::Json),
                "ForeignKey" => scalar(Scalar::ForeignKey),
                "ManyToMany" => scalar(Scalar::ManyToMany),
                "Vec" if args.len() == 1 => {
                    if is_path_named(args[0], "u8") {
                        scalar(Scalar::Bytes)
                    } else {
                        reject(format!(
                            "unsupported field type `{shown}`: only `Vec<u8>` (bytes) is stored in a column; store a list as `Json<{shown}>`"
                        ))
                    }
                }
                "Box" if args.len() == 1 => reject(format!(
                    "unsupported field type `{shown}`: store the value itself, `{}`",
                    pretty_tokens(args[0])
                )),
                "u8" | "i8" if plain => reject(format!(
                    "unsupported field type `{name}`: Aksara stores i16, i32 or i64; use i16"
                )),
                "u16" if plain => reject(format!(
                    "unsupported field type `{name}`: Aksara stores i16, i32 or i64; use i32"
                )),
                "u32" | "u64" | "u128" | "usize" | "i128" | "isize" if plain => reject(format!(
                    "unsupported field type `{name}`: Aksara stores i16, i32 or i64; use i64"
                )),
                "char" if plain => reject(format!(
                    "unsupported field type `{name}`: use `String` with `#[field(max_length = 1)]`"
                )),
                "str" if plain => reject(format!("unsupported field type `{name}`: use `String`")),
                _ => other,
            }
        }
        Type::Path(_) | Type::Macro(_) | Type::Verbatim(_) => other,
        Type::Reference(reference) => {
            let owned = if is_path_named(&reference.elem, "str") {
                "String".to_owned()
            } else if let Type::Slice(slice) = &*reference.elem
                && is_path_named(&slice.elem, "u8")
            {
                "Vec<u8>".to_owned()
            } else {
                pretty_tokens(&reference.elem)
            };
            reject(format!(
                "unsupported field type `{shown}`: a model owns its data; use `{owned}`"
            ))
        }
        Type::Tuple(tuple) if tuple.elems.is_empty() => reject(format!(
            "unsupported field type `{shown}`: a column holds a value; remove the field or mark it `#[field(skip)]`"
        )),
        Type::Tuple(_) => reject(format!(
            "unsupported field type `{shown}`: a column holds one value; use one field per value, or `Json<{shown}>`"
        )),
        Type::Array(syn::TypeArray { elem, .. }) | Type::Slice(syn::TypeSlice { elem, .. }) => {
            let instead = if is_path_named(elem, "u8") {
                "`Vec<u8>`".to_owned()
            } else {
                format!("`Json<Vec<{}>>`", pretty_tokens(elem))
            };
            reject(format!("unsupported field type `{shown}`: use {instead}"))
        }
        _ => reject(format!(
            "unsupported field type `{shown}`: use bool, i16, i32, i64, f32, f64, String, Vec<u8>, Uuid, \
             DateTime<Utc>, NaiveDate, serde_json::Value, Json<T>, ForeignKey<M> or an Option of one of them"
        )),
    }
}

/// Whether `ty` is a plain path whose last segment is `name`.
pub(crate) fn is_path_named(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == name && s.arguments.is_none()))
}

/// The one type argument of the last path segment (`M` of `ForeignKey<M>`).
pub(crate) fn type_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

/// `T` of `Option<T>`.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if last.ident == "Option" => Some(inner),
        _ => None,
    }
}
