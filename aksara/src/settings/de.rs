//! Deserializing typed settings out of the merged tree.
//!
//! File values keep their TOML type; environment text is parsed into whatever the
//! target field asks for (`"true"` → `bool`, `"8080"` → `u16`, `"a,b"` → `Vec`).
//! Every error is tagged with the dotted key and the place the value came from.

use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::SettingsError;
use super::source::{Node, SettingSource, Value};

/// Deserializes `T` from `node`, whose dotted key is `path` (`""` for the root).
pub(crate) fn from_node<T: DeserializeOwned>(node: &Node, path: &str) -> Result<T, SettingsError> {
    T::deserialize(NodeDeserializer { node, path })
        .map_err(|err| err.locate(path, &node.origin).into_settings_error())
}

/// The field names serde's derive declares for `T` (a struct), so the environment
/// mapping and the structs cannot drift apart.
pub(crate) fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    match T::deserialize(FieldProbe) {
        Err(FieldList(fields)) => fields,
        Ok(_) => &[],
    }
}

/// `AKSARA_` + the first key + `_` + the second + `__` before each further one:
/// `session.cookie_name` → `AKSARA_SESSION_COOKIE_NAME`,
/// `app.mailer.host` → `AKSARA_APP_MAILER__HOST`. `None` inside arrays.
pub(crate) fn env_var_for(key: &str) -> Option<String> {
    if key.is_empty() || key.contains('[') {
        return None;
    }
    let mut var = String::from("AKSARA_");
    for (index, segment) in key.split('.').enumerate() {
        match index {
            0 => {}
            1 => var.push('_'),
            _ => var.push_str("__"),
        }
        var.push_str(&segment.to_ascii_uppercase());
    }
    Some(var)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A deserialization error on its way up the tree; the innermost key wins.
#[derive(Debug)]
pub(crate) struct DeError {
    message: String,
    missing: Option<&'static str>,
    key: Option<String>,
    origin: Option<SettingSource>,
}

impl DeError {
    fn new(message: String) -> Self {
        Self {
            message,
            missing: None,
            key: None,
            origin: None,
        }
    }

    /// Tags the error with the key and origin of the value being read, unless a
    /// deeper value already did.
    fn locate(mut self, path: &str, origin: &SettingSource) -> Self {
        if self.key.is_none() {
            match self.missing {
                Some(field) => self.key = Some(join(path, field)),
                None => {
                    self.key = Some(path.to_owned());
                    self.origin = Some(origin.clone());
                }
            }
        }
        self
    }

    fn into_settings_error(self) -> SettingsError {
        let key = self.key.unwrap_or_default();
        if self.missing.is_some() {
            SettingsError::Missing {
                env_var: env_var_for(&key),
                key,
            }
        } else {
            SettingsError::Invalid {
                key,
                origin: self.origin.unwrap_or(SettingSource::Default),
                message: self.message,
            }
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(message.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Self {
            missing: Some(field),
            ..Self::new(format!("missing field `{field}`"))
        }
    }
}

/// Reads one node of the tree.
struct NodeDeserializer<'a> {
    node: &'a Node,
    path: &'a str,
}

impl NodeDeserializer<'_> {
    /// The environment text, when the value came from a variable.
    fn env_text(&self) -> Option<&str> {
        match &self.node.value {
            Value::Env(text) => Some(text.trim()),
            _ => None,
        }
    }
}

fn expected(what: &str, text: &str) -> DeError {
    DeError::new(format!("expected {what}, got {text:?}"))
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

macro_rules! parse_env_then_any {
    ($($method:ident => $ty:ty, $visit:ident, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.env_text() {
                Some(text) => match text.parse::<$ty>() {
                    Ok(value) => visitor.$visit(value),
                    Err(_) => Err(expected($what, text)),
                },
                None => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(text) | Value::Env(text) | Value::Datetime(text) => visitor.visit_str(text),
            Value::Int(int) => visitor.visit_i64(*int),
            Value::Float(float) => visitor.visit_f64(*float),
            Value::Bool(flag) => visitor.visit_bool(*flag),
            Value::Array(items) => visitor.visit_seq(Items::new(items, self.path)),
            Value::Table(map) => visitor.visit_map(Entries {
                iter: map.iter(),
                pending: None,
                path: self.path,
            }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.env_text() {
            Some(text) => match parse_bool(text) {
                Some(flag) => visitor.visit_bool(flag),
                None => Err(expected(
                    "a boolean (true/false, 1/0, yes/no or on/off)",
                    text,
                )),
            },
            None => self.deserialize_any(visitor),
        }
    }

    parse_env_then_any! {
        deserialize_i8 => i64, visit_i64, "an integer";
        deserialize_i16 => i64, visit_i64, "an integer";
        deserialize_i32 => i64, visit_i64, "an integer";
        deserialize_i64 => i64, visit_i64, "an integer";
        deserialize_u8 => u64, visit_u64, "a non-negative integer";
        deserialize_u16 => u64, visit_u64, "a non-negative integer";
        deserialize_u32 => u64, visit_u64, "a non-negative integer";
        deserialize_u64 => u64, visit_u64, "a non-negative integer";
        deserialize_f32 => f64, visit_f64, "a number";
        deserialize_f64 => f64, visit_f64, "a number";
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // An empty variable means "not set" for an optional setting.
        if self.env_text() == Some("") {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.env_text() {
            // Comma-separated in the environment: AKSARA_CSRF_TRUSTED_ORIGINS=https://a,https://b
            Some(text) => {
                let items: Vec<Node> = text
                    .split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Node {
                        value: Value::Env(item.to_owned()),
                        origin: self.node.origin.clone(),
                    })
                    .collect();
                visitor.visit_seq(Items::new(&items, self.path))
            }
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(text) | Value::Env(text) => {
                let text: StrDeserializer<'_, DeError> = text.trim().into_deserializer();
                visitor.visit_enum(text)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct tuple_struct map struct
        identifier
    }
}

/// The entries of a table, each value read with its own key and origin.
struct Entries<'a> {
    iter: std::collections::btree_map::Iter<'a, String, Node>,
    pending: Option<(&'a String, &'a Node)>,
    path: &'a str,
}

impl<'de> de::MapAccess<'de> for Entries<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, node)) = self.iter.next() else {
            return Ok(None);
        };
        self.pending = Some((key, node));
        let name: StrDeserializer<'_, DeError> = key.as_str().into_deserializer();
        seed.deserialize(name)
            .map(Some)
            .map_err(|err| err.locate(&join(self.path, key), &node.origin))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (key, node) = self
            .pending
            .take()
            .ok_or_else(|| DeError::new("a value was asked for before its key".into()))?;
        let path = join(self.path, key);
        seed.deserialize(NodeDeserializer { node, path: &path })
            .map_err(|err| err.locate(&path, &node.origin))
    }
}

/// The items of an array, each read with its index as part of the key.
struct Items<'a> {
    iter: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    path: &'a str,
}

impl<'a> Items<'a> {
    fn new(items: &'a [Node], path: &'a str) -> Self {
        Self {
            iter: items.iter().enumerate(),
            path,
        }
    }
}

impl<'de> de::SeqAccess<'de> for Items<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((index, node)) = self.iter.next() else {
            return Ok(None);
        };
        let path = format!("{}[{index}]", self.path);
        seed.deserialize(NodeDeserializer { node, path: &path })
            .map(Some)
            .map_err(|err| err.locate(&path, &node.origin))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// A deserializer that only records the field list serde's derive passes in.
struct FieldProbe;

#[derive(Debug)]
struct FieldList(&'static [&'static str]);

impl fmt::Display for FieldList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field probe")
    }
}

impl std::error::Error for FieldList {}

impl de::Error for FieldList {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        Self(&[])
    }
}

impl<'de> de::Deserializer<'de> for FieldProbe {
    type Error = FieldList;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, FieldList> {
        Err(FieldList(&[]))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, FieldList> {
        Err(FieldList(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Mailer {
        host: String,
        port: u16,
        #[serde(default)]
        tls: bool,
        #[serde(default)]
        cc: Vec<String>,
        #[serde(default)]
        from: Option<String>,
    }

    fn env(pairs: &[(&str, &str, &str)]) -> Node {
        let mut map = BTreeMap::new();
        for (key, var, text) in pairs {
            map.insert((*key).to_owned(), Node::env(var, (*text).to_owned()));
        }
        Node {
            value: Value::Table(map),
            origin: SettingSource::Default,
        }
    }

    #[test]
    fn environment_text_becomes_the_field_type() {
        let tree = env(&[
            ("host", "AKSARA_APP_HOST", "smtp.example.com"),
            ("port", "AKSARA_APP_PORT", " 2525 "),
            ("tls", "AKSARA_APP_TLS", "yes"),
            ("cc", "AKSARA_APP_CC", "a@example.com, b@example.com"),
            ("from", "AKSARA_APP_FROM", ""),
        ]);
        let mailer: Mailer = from_node(&tree, "app").unwrap();
        assert_eq!(
            mailer,
            Mailer {
                host: "smtp.example.com".into(),
                port: 2525,
                tls: true,
                cc: vec!["a@example.com".into(), "b@example.com".into()],
                from: None,
            }
        );
    }

    #[test]
    fn bad_environment_text_names_the_variable() {
        let tree = env(&[
            ("host", "AKSARA_APP_HOST", "h"),
            ("port", "AKSARA_APP_PORT", "eighty"),
        ]);
        let err = from_node::<Mailer>(&tree, "app").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting `app.port` (environment variable AKSARA_APP_PORT): \
             expected a non-negative integer, got \"eighty\""
        );
        let tree = env(&[
            ("host", "AKSARA_APP_HOST", "h"),
            ("port", "AKSARA_APP_PORT", "99999"),
        ]);
        let err = from_node::<Mailer>(&tree, "app").unwrap_err();
        assert!(err.to_string().contains("expected u16"), "{err}");
    }

    #[test]
    fn file_values_keep_their_type_and_line() {
        let tree = Node::parse_toml(
            Path::new("aksara.toml"),
            "[app]\nhost = \"h\"\nport = \"25\"\n",
        )
        .unwrap();
        let err = from_node::<Mailer>(tree.get(&["app"]).unwrap(), "app").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting `app.port` (aksara.toml, line 3, column 8): \
             invalid type: string \"25\", expected u16"
        );
    }

    #[test]
    fn missing_fields_name_the_key_and_its_variable() {
        let tree = env(&[("host", "AKSARA_APP_HOST", "h")]);
        let err = from_node::<Mailer>(&tree, "app").unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing setting `app.port`: set it in aksara.toml or with the environment \
             variable AKSARA_APP_PORT"
        );
    }

    #[test]
    fn env_var_names_follow_the_key() {
        assert_eq!(env_var_for("debug").unwrap(), "AKSARA_DEBUG");
        assert_eq!(
            env_var_for("session.cookie_name").unwrap(),
            "AKSARA_SESSION_COOKIE_NAME"
        );
        assert_eq!(
            env_var_for("app.mailer.host").unwrap(),
            "AKSARA_APP_MAILER__HOST"
        );
        assert_eq!(env_var_for("app.servers[0].host"), None);
    }

    #[test]
    fn field_names_come_from_the_derive() {
        assert_eq!(
            field_names::<Mailer>(),
            ["host", "port", "tls", "cc", "from"]
        );
    }
}
