//! The merged settings tree: every value from `aksara.toml` and from `AKSARA_*`
//! variables, each with the place it came from, so an error can say where to look.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::SettingsError;

/// Where a setting's value came from.
///
/// Carried by [`SettingsError`] so a message names the file and line, or the
/// environment variable, to fix.
///
/// ```
/// use aksara::settings::SettingSource;
/// let source = SettingSource::Env { var: "AKSARA_DEBUG".into() };
/// assert_eq!(source.to_string(), "environment variable AKSARA_DEBUG");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingSource {
    /// A settings file, at a 1-based line and column.
    File {
        /// The file as it was opened.
        path: PathBuf,
        /// 1-based line of the value.
        line: usize,
        /// 1-based column (in characters) of the value.
        column: usize,
    },
    /// An environment variable.
    Env {
        /// Its name, such as `AKSARA_SESSION_MAX_AGE`.
        var: String,
    },
    /// Not set anywhere: the built-in default.
    Default,
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, line, column } => {
                write!(f, "{}, line {line}, column {column}", path.display())
            }
            Self::Env { var } => write!(f, "environment variable {var}"),
            Self::Default => f.write_str("default"),
        }
    }
}

/// One value of the tree and its origin.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) origin: SettingSource,
}

/// TOML's value kinds, plus [`Value::Env`]: text from an environment variable,
/// read as whatever type the setting wants (`"8080"` as a number, `"a,b"` as a list).
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Str(String),
    Env(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(BTreeMap<String, Node>),
}

impl Node {
    pub(crate) fn empty_table(origin: SettingSource) -> Self {
        Self {
            value: Value::Table(BTreeMap::new()),
            origin,
        }
    }

    pub(crate) fn env(var: &str, text: String) -> Self {
        Self {
            value: Value::Env(text),
            origin: SettingSource::Env {
                var: var.to_owned(),
            },
        }
    }

    /// Parses a TOML document, keeping the line and column of every value.
    pub(crate) fn parse_toml(path: &Path, contents: &str) -> Result<Self, SettingsError> {
        let document = DeTable::parse(contents).map_err(|mut err| {
            err.set_input(Some(contents));
            SettingsError::Syntax {
                path: path.to_owned(),
                detail: err.to_string().trim_end().to_owned(),
            }
        })?;
        let positions = Positions::new(path, contents);
        let span = document.span();
        let mut table = BTreeMap::new();
        for (key, value) in document.get_ref() {
            let key = key.get_ref().to_string();
            let node = positions.node(&key, value.span().start, value.get_ref())?;
            table.insert(key, node);
        }
        Ok(Self {
            value: Value::Table(table),
            origin: positions.at(span.start),
        })
    }

    /// Puts `node` at `path`, replacing what was there (the environment overrides
    /// the file) and creating the tables on the way.
    pub(crate) fn set(&mut self, path: &[String], node: Node) {
        let Some((last, parents)) = path.split_last() else {
            *self = node;
            return;
        };
        let mut table = self;
        for key in parents {
            let map = table.as_table_mut(&node.origin);
            table = map
                .entry(key.clone())
                .or_insert_with(|| Node::empty_table(node.origin.clone()));
        }
        table.as_table_mut(&node.origin).insert(last.clone(), node);
    }

    fn as_table_mut(&mut self, origin: &SettingSource) -> &mut BTreeMap<String, Node> {
        if !matches!(self.value, Value::Table(_)) {
            *self = Node::empty_table(origin.clone());
        }
        match &mut self.value {
            Value::Table(map) => map,
            _ => unreachable!("made a table just above"),
        }
    }

    /// The node at `path`, if every step exists.
    pub(crate) fn get(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| match &node.value {
            Value::Table(map) => map.get(*key),
            _ => None,
        })
    }

    /// Where the value at `path` came from ([`SettingSource::Default`] when unset).
    pub(crate) fn origin_of(&self, path: &[&str]) -> SettingSource {
        self.get(path)
            .map_or(SettingSource::Default, |node| node.origin.clone())
    }

    /// The keys of a table node, in order.
    pub(crate) fn keys(&self) -> Vec<&str> {
        match &self.value {
            Value::Table(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// Turns byte offsets of one file into line and column numbers.
struct Positions<'a> {
    path: &'a Path,
    contents: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Positions<'a> {
    fn new(path: &'a Path, contents: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(contents.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Self {
            path,
            contents,
            line_starts,
        }
    }

    fn at(&self, offset: usize) -> SettingSource {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self
            .contents
            .get(start..offset)
            .map_or(1, |text| text.chars().count() + 1);
        SettingSource::File {
            path: self.path.to_owned(),
            line: line.max(1),
            column,
        }
    }

    fn node(&self, key: &str, offset: usize, value: &DeValue<'_>) -> Result<Node, SettingsError> {
        let origin = self.at(offset);
        let value = match value {
            DeValue::String(text) => Value::Str(text.to_string()),
            DeValue::Integer(int) => match i64::from_str_radix(int.as_str(), int.radix()) {
                Ok(int) => Value::Int(int),
                Err(_) => {
                    return Err(SettingsError::Invalid {
                        key: key.to_owned(),
                        origin,
                        message: format!("the integer {int} does not fit in 64 bits"),
                    });
                }
            },
            DeValue::Float(float) => match float.as_str().parse() {
                Ok(float) => Value::Float(float),
                Err(_) => {
                    return Err(SettingsError::Invalid {
                        key: key.to_owned(),
                        origin,
                        message: format!("the number {float} is out of range"),
                    });
                }
            },
            DeValue::Boolean(flag) => Value::Bool(*flag),
            DeValue::Datetime(datetime) => Value::Datetime(datetime.to_string()),
            DeValue::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        self.node(
                            &format!("{key}[{index}]"),
                            item.span().start,
                            item.get_ref(),
                        )
                    })
                    .collect::<Result<_, _>>()?,
            ),
            DeValue::Table(table) => {
                let mut map = BTreeMap::new();
                for (name, item) in table {
                    let name = name.get_ref().to_string();
                    let node =
                        self.node(&format!("{key}.{name}"), item.span().start, item.get_ref())?;
                    map.insert(name, node);
                }
                Value::Table(map)
            }
        };
        Ok(Node { value, origin })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        Node::parse_toml(Path::new("aksara.toml"), text).expect("valid TOML")
    }

    #[test]
    fn values_remember_their_line_and_column() {
        let tree = parse("debug = true\n\n[session]\n  max_age = \"7d\"\n");
        assert_eq!(
            tree.origin_of(&["session", "max_age"]),
            SettingSource::File {
                path: "aksara.toml".into(),
                line: 4,
                column: 13
            }
        );
        assert_eq!(
            tree.origin_of(&["debug"]).to_string(),
            "aksara.toml, line 1, column 9"
        );
        assert_eq!(tree.origin_of(&["bind"]), SettingSource::Default);
    }

    #[test]
    fn set_creates_tables_and_overrides() {
        let mut tree = parse("[session]\ncookie_name = \"a\"\n");
        tree.set(
            &["session".into(), "cookie_name".into()],
            Node::env("AKSARA_SESSION_COOKIE_NAME", "b".into()),
        );
        tree.set(
            &["app".into(), "mailer".into(), "host".into()],
            Node::env("AKSARA_APP_MAILER__HOST", "smtp".into()),
        );
        let name = tree.get(&["session", "cookie_name"]).unwrap();
        assert!(matches!(&name.value, Value::Env(text) if text == "b"));
        assert!(tree.get(&["app", "mailer", "host"]).is_some());
        assert_eq!(tree.keys(), ["app", "session"]);
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let err = Node::parse_toml(Path::new("conf/aksara.toml"), "debug = \n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("conf/aksara.toml is not valid TOML"),
            "{text}"
        );
        assert!(text.contains("line 1"), "{text}");
    }

    #[test]
    fn huge_integers_are_reported() {
        let err = Node::parse_toml(Path::new("aksara.toml"), "[app]\nn = 0xffffffffffffffff\n")
            .unwrap_err();
        assert!(err.to_string().contains("`app.n`"), "{err}");
    }
}
