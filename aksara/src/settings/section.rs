//! Typed sections: a table of settings owned by the crate that reads it.
//!
//! `aksara` knows only its own keys (`secret_key`, `debug`, `database_url`,
//! `bind`, `[server]`, `[app]`). Every other table — `[session]` and `[csrf]` in
//! `aksara-auth`, and the sections later features add — is a type implementing
//! [`Section`], declared once with [`declare_section!`](crate::declare_section).
//! The declarations are collected at link time, so [`Settings::load`](super::Settings::load)
//! maps `AKSARA_<SECTION>_<FIELD>` variables from each type's own field names,
//! checks every declared section when the settings load (an error names the key
//! and its file line and column, or its variable) and refuses a table nobody
//! declared, such as a misspelt `[sesion]`.

use serde::de::DeserializeOwned;

use super::SettingsError;
use super::de;
use super::source::{Node, SettingSource, Value};

/// A table of settings: `[NAME]` in `aksara.toml`, `AKSARA_NAME_*` in the
/// environment. Read it with [`Settings::section`](super::Settings::section);
/// declare it with [`declare_section!`](crate::declare_section) so the loader
/// knows its variables and checks it up front.
///
/// Derive `Deserialize` with `#[serde(default, deny_unknown_fields)]` and a
/// `Default` impl holding the defaults; an unknown key is then an error naming
/// the line. The variable for a field is `AKSARA_`, the section name and the field
/// name in capitals joined by `_` (with `__` before each deeper key), derived from
/// the type's fields so the two cannot drift apart.
///
/// ```standalone_crate
/// use std::time::Duration;
/// use aksara::settings::{InvalidKey, Section, GivenKeys};
///
/// #[derive(Debug, Default, serde::Deserialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Mailer {
///     host: String,
///     port: u16,
/// }
///
/// impl Section for Mailer {
///     const NAME: &'static str = "mailer";
///
///     fn finish(&mut self, given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
///         if !given.is_set("port") {
///             self.port = 587; // submission, unless told otherwise
///         }
///         if self.host.is_empty() {
///             return Err(InvalidKey::new("host", "expected a host name such as smtp.example.com"));
///         }
///         Ok(())
///     }
/// }
/// aksara::declare_section!(Mailer);
///
/// let file = "debug = true\n[mailer]\nhost = \"localhost\"\n";
/// let settings = aksara::Settings::from_sources(Some(file), [("AKSARA_MAILER_PORT", "2525")])?;
/// let mailer: Mailer = settings.section()?;
/// assert_eq!((mailer.host.as_str(), mailer.port), ("localhost", 2525));
///
/// let err = aksara::Settings::from_sources(Some("debug = true\n[mailer]\nhost = \"\"\n"), None::<(String, String)>)
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid setting `mailer.host` (aksara.toml, line 3, column 8): \
///      expected a host name such as smtp.example.com"
/// );
/// # Ok::<(), aksara::SettingsError>(())
/// ```
pub trait Section: DeserializeOwned + 'static {
    /// The table's name: `[NAME]` in TOML, `AKSARA_NAME_*` in the environment.
    const NAME: &'static str;

    /// Checks and normalises the values once they are read: defaults that depend
    /// on other keys, cross-field rules, canonical forms. `given` tells which keys
    /// were set explicitly (in the file or the environment). The default accepts
    /// everything.
    ///
    /// # Errors
    /// [`InvalidKey`] naming the key inside the section; the loader adds where
    /// its value came from.
    ///
    /// ```
    /// use aksara::settings::{GivenKeys, InvalidKey, Section};
    /// #[derive(Default, serde::Deserialize)]
    /// #[serde(default)]
    /// struct Limits { burst: u32 }
    /// impl Section for Limits {
    ///     const NAME: &'static str = "limits";
    ///     fn finish(&mut self, _given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
    ///         if self.burst == 0 { self.burst = 10; }
    ///         Ok(())
    ///     }
    /// }
    /// ```
    fn finish(&mut self, given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        let _ = given;
        Ok(())
    }
}

/// Which keys of a section were set explicitly, for [`Section::finish`].
///
/// ```standalone_crate
/// use aksara::settings::{GivenKeys, InvalidKey, Section};
/// #[derive(Default, serde::Deserialize)]
/// #[serde(default)]
/// struct Cache { ttl: u64 }
/// impl Section for Cache {
///     const NAME: &'static str = "cache";
///     fn finish(&mut self, given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
///         assert_eq!(given.is_set("ttl"), self.ttl != 0);
///         Ok(())
///     }
/// }
/// aksara::declare_section!(Cache);
/// let settings = aksara::Settings::from_sources(Some("debug = true\n[cache]\nttl = 5\n"), None::<(String, String)>)?;
/// assert_eq!(settings.section::<Cache>()?.ttl, 5);
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct GivenKeys<'a> {
    table: &'a Node,
}

impl GivenKeys<'_> {
    /// Whether `key` (a field of the section) was set in the file or the environment.
    ///
    /// ```
    /// # use aksara::settings::{GivenKeys, InvalidKey, Section};
    /// # #[derive(Default, serde::Deserialize)] #[serde(default)] struct S { a: u8 }
    /// # impl Section for S { const NAME: &'static str = "s";
    /// fn finish(&mut self, given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
    ///     if !given.is_set("a") { self.a = 1; }
    ///     Ok(())
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn is_set(&self, key: &str) -> bool {
        self.table.get(&[key]).is_some()
    }
}

/// A key of a section that [`Section::finish`] refused, and why.
///
/// ```
/// let err = aksara::settings::InvalidKey::item("trusted_origins", 1, "expected an origin");
/// assert_eq!(err.to_string(), "trusted_origins[1]: expected an origin");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", display_key(key, *index))]
pub struct InvalidKey {
    key: String,
    index: Option<usize>,
    message: String,
}

fn display_key(key: &str, index: Option<usize>) -> String {
    match index {
        Some(index) => format!("{key}[{index}]"),
        None => key.to_owned(),
    }
}

impl InvalidKey {
    /// The value of `key` is wrong: `message` says what is expected.
    ///
    /// ```
    /// let err = aksara::settings::InvalidKey::new("port", "expected a port above 1024");
    /// assert_eq!(err.to_string(), "port: expected a port above 1024");
    /// ```
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            index: None,
            message: message.into(),
        }
    }

    /// Item `index` of the list `key` is wrong.
    ///
    /// ```
    /// let err = aksara::settings::InvalidKey::item("hosts", 0, "expected a host name");
    /// assert_eq!(err.to_string(), "hosts[0]: expected a host name");
    /// ```
    pub fn item(key: impl Into<String>, index: usize, message: impl Into<String>) -> Self {
        Self {
            index: Some(index),
            ..Self::new(key, message)
        }
    }

    /// Refuses the first of `durations` (key, value) that is zero: a timeout or
    /// lifetime of zero would switch off what it bounds.
    ///
    /// # Errors
    /// The first zero duration, as `expected a duration greater than zero`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aksara::settings::InvalidKey;
    /// let ok = InvalidKey::unless_nonzero([("ttl", Duration::from_secs(5))]);
    /// assert!(ok.is_ok());
    /// let err = InvalidKey::unless_nonzero([("ttl", Duration::ZERO)]).unwrap_err();
    /// assert_eq!(err.to_string(), "ttl: expected a duration greater than zero");
    /// ```
    pub fn unless_nonzero<'a>(
        durations: impl IntoIterator<Item = (&'a str, std::time::Duration)>,
    ) -> Result<(), Self> {
        match durations.into_iter().find(|(_, value)| value.is_zero()) {
            Some((key, _)) => Err(Self::new(key, "expected a duration greater than zero")),
            None => Ok(()),
        }
    }

    /// The [`SettingsError`] for this key of section `name` in `table`, naming
    /// where the value came from.
    fn into_settings_error(self, name: &str, table: &Node) -> SettingsError {
        let node = table.get(&[&self.key]);
        let origin = match (node, self.index) {
            (Some(node), Some(index)) => match &node.value {
                Value::Array(items) => items.get(index).map_or(&node.origin, |item| &item.origin),
                _ => &node.origin,
            },
            (Some(node), None) => &node.origin,
            // The key is not set: a rule about its absence came from no source.
            (None, _) => &SettingSource::Default,
        };
        SettingsError::Invalid {
            key: format!("{name}.{}", display_key(&self.key, self.index)),
            origin: origin.clone(),
            message: self.message,
        }
    }
}

/// One [`Section`] type, as the loader sees it: its name, its fields (for the
/// environment variables) and a check. Made by [`declare_section!`](crate::declare_section).
///
/// ```standalone_crate
/// #[derive(Default, serde::Deserialize)]
/// #[serde(default)]
/// struct Search { engine: String }
/// impl aksara::settings::Section for Search { const NAME: &'static str = "search"; }
/// aksara::declare_section!(Search);
///
/// assert!(aksara::settings::declared_sections().any(|section| section.name() == "search"));
/// ```
#[derive(Debug)]
pub struct SectionDeclaration {
    name: &'static str,
    type_name: fn() -> &'static str,
    fields: fn() -> &'static [&'static str],
    check: fn(&Node) -> Result<(), SettingsError>,
}

impl SectionDeclaration {
    /// The declaration of `T`; [`declare_section!`](crate::declare_section) submits it.
    ///
    /// ```
    /// # #[derive(Default, serde::Deserialize)] struct Search { engine: String }
    /// # impl aksara::settings::Section for Search { const NAME: &'static str = "search"; }
    /// let declaration = aksara::settings::SectionDeclaration::of::<Search>();
    /// assert_eq!(declaration.name(), "search");
    /// ```
    #[must_use]
    pub const fn of<T: Section>() -> Self {
        Self {
            name: T::NAME,
            type_name: std::any::type_name::<T>,
            fields: de::field_names::<T>,
            check: |table| read::<T>(table).map(drop),
        }
    }

    /// The section's name.
    ///
    /// ```
    /// # #[derive(Default, serde::Deserialize)] struct Search { engine: String }
    /// # impl aksara::settings::Section for Search { const NAME: &'static str = "search"; }
    /// assert_eq!(aksara::settings::SectionDeclaration::of::<Search>().name(), "search");
    /// ```
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The Rust type that declared the section, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        (self.type_name)()
    }

    /// The section's field names, which its environment variables are made of.
    pub(crate) fn fields(&self) -> &'static [&'static str] {
        (self.fields)()
    }

    /// Reads the section out of `table` and runs its [`Section::finish`].
    pub(crate) fn check(&self, table: &Node) -> Result<(), SettingsError> {
        (self.check)(table)
    }
}

inventory::collect!(SectionDeclaration);

/// Every section the program declared, in name order, `[server]` among them.
///
/// ```
/// assert!(aksara::settings::declared_sections().any(|section| section.name() == "server"));
/// ```
pub fn declared_sections() -> impl Iterator<Item = &'static SectionDeclaration> {
    let mut sections: Vec<_> = inventory::iter::<SectionDeclaration>.into_iter().collect();
    sections.sort_by_key(|section| section.name);
    sections.into_iter()
}

/// Declares a [`Section`] type to the settings loader, once, next to the type:
/// its `AKSARA_<NAME>_*` variables are then read and the section is checked when
/// the settings load. Without a declaration the section's table in the file is
/// refused as unknown, and [`Settings::section`](super::Settings::section) sees
/// only its defaults. Each name is declared once, by one type, and may not be one
/// of `aksara`'s own keys or `app`: loading fails otherwise, naming the types.
///
/// ```standalone_crate
/// #[derive(Default, serde::Deserialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Search { engine: String }
/// impl aksara::settings::Section for Search { const NAME: &'static str = "search"; }
/// aksara::declare_section!(Search);
///
/// let settings = aksara::Settings::from_sources(Some("debug = true"), [("AKSARA_SEARCH_ENGINE", "tantivy")])?;
/// assert_eq!(settings.section::<Search>()?.engine, "tantivy");
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[macro_export]
macro_rules! declare_section {
    ($section:ty) => {
        $crate::__private::inventory::submit! {
            $crate::settings::SectionDeclaration::of::<$section>()
        }
    };
}

/// Reads section `T` out of its table (an empty table when the file and the
/// environment set none of it) and finishes it.
pub(crate) fn read<T: Section>(table: &Node) -> Result<T, SettingsError> {
    let mut section: T = de::from_node(table, T::NAME)?;
    section
        .finish(&GivenKeys { table })
        .map_err(|invalid| invalid.into_settings_error(T::NAME, table))?;
    Ok(section)
}
