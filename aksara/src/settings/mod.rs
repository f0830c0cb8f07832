//! Typed settings from environment variables and an optional `aksara.toml`.
//!
//! [`Settings::load`] reads, in increasing precedence:
//!
//! 1. the built-in defaults;
//! 2. the TOML file named by `AKSARA_CONFIG`, or `aksara.toml` in the current
//!    directory when that variable is unset (a missing `aksara.toml` is fine; a
//!    missing `AKSARA_CONFIG` file is an error);
//! 3. `AKSARA_*` environment variables.
//!
//! | TOML key | environment variable | type | default |
//! |---|---|---|---|
//! | `secret_key` | `AKSARA_SECRET_KEY` | text, ≥ 32 bytes, random | none: required unless `debug` |
//! | `debug` | `AKSARA_DEBUG` | bool | `false` |
//! | `database_url` | `AKSARA_DATABASE_URL` | `sqlite:…`, `postgres:…`, `mysql:…` URL | `sqlite://aksara.db` |
//! | `bind` | `AKSARA_BIND` | `host:port` | `127.0.0.1:8000` |
//! | `[server] header_read_timeout` | `AKSARA_SERVER_HEADER_READ_TIMEOUT` | duration | `10s` |
//! | `[server] body_read_timeout` | `AKSARA_SERVER_BODY_READ_TIMEOUT` | duration | `30s` |
//! | `[server] idle_timeout` | `AKSARA_SERVER_IDLE_TIMEOUT` | duration | `60s` |
//! | `[server] max_connections` | `AKSARA_SERVER_MAX_CONNECTIONS` | integer ≥ 1 | `1024` |
//! | `[server] shutdown_timeout` | `AKSARA_SERVER_SHUTDOWN_TIMEOUT` | duration | `30s` |
//! | `[app] …` | `AKSARA_APP_…` | yours: see [`Settings::extra`] | |
//! | `[<section>] …` | `AKSARA_<SECTION>_…` | a crate's own [`Section`], such as `aksara-auth`'s `[session]` and `[csrf]` | see the section's type |
//!
//! Sections belong to the crate that reads them: a [`Section`] type, declared with
//! [`declare_section!`](crate::declare_section) and read with
//! [`Settings::section`]. `aksara-auth` declares `[session]` (the session cookie
//! and lifetimes) and `[csrf]` (trusted origins) this way; the loader knows their
//! variables from their field names, checks them when the settings load and
//! refuses a table that no linked crate declares.
//!
//! The variable for a key is `AKSARA_`, the section and the key in capitals joined
//! by `_`, with `__` before each deeper key: `app.mailer.host` is
//! `AKSARA_APP_MAILER__HOST`. Environment text is read as the type the setting
//! has: `true`/`false`/`1`/`0`/`yes`/`no`/`on`/`off` for booleans, digits for
//! numbers, commas between the items of a list; an empty variable leaves an
//! optional setting unset. Other `AKSARA_*` variables are ignored.
//!
//! Durations are whole seconds (`3600`) or text such as `"500ms"`, `"30m"`,
//! `"12h"`, `"7d"` or `"1h 30m"` ([`parse_duration`]).
//!
//! The `[server]` limits are trade-offs explained on [`ServerSettings`].
//!
//! A malformed value, an unknown key in the file or a missing key of your own
//! settings is a [`SettingsError`] naming the key, where its value came from (file
//! and line, or variable) and what is expected.
//!
//! Outside debug mode a missing, short (< 32 bytes), placeholder or low-variety
//! secret key is refused ([`SecretKey::weakness`]); with `debug = true` it is
//! allowed with a warning, and a random key is generated for the run when none is
//! set. `Debug` output never shows the secret key, the database password or the
//! values of your own settings.
//!
//! ```
//! use std::time::Duration;
//! use aksara::Settings;
//!
//! let file = r#"
//! secret_key = "hV3kP9sQ2wX7zR1mN5bT8cY4fJ6gL0dA"
//! database_url = "sqlite://blog.db"
//!
//! [server]
//! idle_timeout = "30s"
//! "#;
//! let env = [("AKSARA_SERVER_IDLE_TIMEOUT", "5s"), ("AKSARA_BIND", "0.0.0.0:8080")];
//! let settings = Settings::from_sources(Some(file), env)?;
//!
//! assert_eq!(settings.server.idle_timeout, Duration::from_secs(5)); // env wins
//! assert_eq!(settings.database_url, "sqlite://blog.db");
//! assert_eq!(settings.bind, "0.0.0.0:8080");
//! assert!(!format!("{settings:?}").contains("hV3k"));
//! # Ok::<(), aksara::SettingsError>(())
//! ```

mod de;
mod duration;
mod secret;
mod section;
mod server;
mod source;

pub use duration::{InvalidDuration, deserialize_duration, parse_duration};
pub use secret::SecretKey;
pub use section::{GivenKeys, InvalidKey, Section, SectionDeclaration, declared_sections};
pub use server::ServerSettings;
pub use source::SettingSource;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::Backend;
use source::{Node, Value};

/// The prefix of every settings variable.
const ENV_PREFIX: &str = "AKSARA_";
/// The variable that names the settings file.
const CONFIG_VAR: &str = "AKSARA_CONFIG";
/// The settings file read when `AKSARA_CONFIG` is unset.
const DEFAULT_FILE: &str = "aksara.toml";

/// The default of [`Settings::database_url`]: a SQLite file in the current
/// directory, created when missing.
///
/// ```
/// assert_eq!(aksara::Settings::default().database_url, aksara::settings::DEFAULT_DATABASE_URL);
/// ```
pub const DEFAULT_DATABASE_URL: &str = "sqlite://aksara.db";

/// The default of [`Settings::bind`]: loopback only, port 8000.
///
/// ```
/// assert_eq!(aksara::settings::DEFAULT_BIND, "127.0.0.1:8000");
/// ```
pub const DEFAULT_BIND: &str = "127.0.0.1:8000";

/// An application's settings. See the [module documentation](self) for every key,
/// its environment variable and its default.
///
/// Fields are public so tests and tools can adjust a loaded value; build one with
/// [`Settings::load`], [`Settings::load_from`], [`Settings::from_sources`] or
/// [`Settings::default`] (which has no secret key, so it only runs in debug mode).
///
/// ```
/// let mut settings = aksara::Settings::default();
/// settings.debug = true;
/// assert!(settings.check_secret_key().is_ok());
/// settings.debug = false;
/// assert!(settings.check_secret_key().is_err());
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Settings {
    /// Signs session cookies and tokens (`secret_key`, `AKSARA_SECRET_KEY`).
    pub secret_key: SecretKey,
    /// Development mode: allows a weak or generated secret key (`debug`,
    /// `AKSARA_DEBUG`; default `false`).
    pub debug: bool,
    /// Where the models live (`database_url`, `AKSARA_DATABASE_URL`; default
    /// [`DEFAULT_DATABASE_URL`]).
    pub database_url: String,
    /// The `host:port` the server listens on (`bind`, `AKSARA_BIND`; default
    /// [`DEFAULT_BIND`]).
    pub bind: String,
    /// Timeouts and the connection limit of [`Aksara::serve`](crate::Aksara::serve)
    /// (`[server]`, `AKSARA_SERVER_*`).
    pub server: ServerSettings,
    /// Every value from the file and the environment, for [`Settings::section`]
    /// and [`Settings::extra`].
    tree: Node,
}

/// Why settings could not be loaded. Every variant names what to fix.
///
/// ```
/// let err = aksara::Settings::from_sources(None::<&str>, [("AKSARA_DEBUG", "maybe")]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid setting `debug` (environment variable AKSARA_DEBUG): \
///      expected a boolean (true/false, 1/0, yes/no or on/off), got \"maybe\""
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The settings file exists (or was named by `AKSARA_CONFIG`) but cannot be read.
    #[error("cannot read settings file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The settings file is not valid TOML.
    #[error("{} is not valid TOML: {detail}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with the line, column and an excerpt.
        detail: String,
    },
    /// A value has the wrong type or form, or a key is unknown.
    #[error("invalid setting `{key}` ({origin}): {message}")]
    Invalid {
        /// The dotted key, such as `session.max_age`.
        key: String,
        /// Where the value came from.
        origin: SettingSource,
        /// What is wrong and what is expected.
        message: String,
    },
    /// A key that has no default is not set anywhere.
    #[error(
        "missing setting `{key}`: set it in aksara.toml{}",
        env_var.as_ref().map(|var| format!(" or with the environment variable {var}")).unwrap_or_default()
    )]
    Missing {
        /// The dotted key, such as `app.mailer.host`.
        key: String,
        /// The environment variable that sets it.
        env_var: Option<String>,
    },
    /// Outside debug mode, the secret key is missing or weak.
    #[error(
        "refusing to start: secret_key {reason}{}; set AKSARA_SECRET_KEY (or secret_key in \
         aksara.toml) to at least 32 random bytes, such as the output of \
         `openssl rand -base64 48` (only debug = true accepts a weak or missing key)",
        origin.as_ref().map(|origin| format!(" ({origin})")).unwrap_or_default()
    )]
    InsecureSecretKey {
        /// Where the key came from, when known.
        origin: Option<SettingSource>,
        /// What is wrong with it ([`SecretKey::weakness`]).
        reason: String,
    },
}

/// The file's top-level keys that `aksara` reads itself; tables are
/// [`Section`]s, and `[app]` is read by [`Settings::extra`].
#[derive(Deserialize)]
struct RawSettings {
    #[serde(default)]
    secret_key: Option<String>,
    #[serde(default)]
    debug: bool,
    #[serde(default = "default_database_url")]
    database_url: String,
    #[serde(default = "default_bind")]
    bind: String,
}

/// The table of the application's own keys, read by [`Settings::extra`].
const APP_TABLE: &str = "app";

fn default_database_url() -> String {
    DEFAULT_DATABASE_URL.into()
}

fn default_bind() -> String {
    DEFAULT_BIND.into()
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            secret_key: SecretKey::default(),
            debug: false,
            database_url: DEFAULT_DATABASE_URL.into(),
            bind: DEFAULT_BIND.into(),
            server: ServerSettings::default(),
            tree: Node::empty_table(SettingSource::Default),
        }
    }
}

impl Settings {
    /// Loads the settings from the file named by `AKSARA_CONFIG` (or `aksara.toml`
    /// in the current directory, if present) and the `AKSARA_*` environment
    /// variables, which take precedence.
    ///
    /// # Errors
    /// [`SettingsError`] for an unreadable or malformed file, a malformed value, an
    /// unknown key in the file, or — outside debug mode — a missing or weak secret key.
    ///
    /// ```no_run
    /// let settings = aksara::Settings::load()?;
    /// println!("listening on {}", settings.bind);
    /// # Ok::<(), aksara::SettingsError>(())
    /// ```
    pub fn load() -> Result<Self, SettingsError> {
        let env = process_env()?;
        let named = env
            .iter()
            .find(|(var, text)| var == CONFIG_VAR && !text.is_empty())
            .map(|(_, text)| PathBuf::from(text));
        let required = named.is_some();
        let path = named.unwrap_or_else(|| PathBuf::from(DEFAULT_FILE));
        let contents = match std::fs::read_to_string(&path) {
            Ok(contents) => Some(contents),
            Err(err) if !required && err.kind() == io::ErrorKind::NotFound => None,
            Err(source) => return Err(SettingsError::Read { path, source }),
        };
        Self::build(contents.as_deref().map(|text| (path.as_path(), text)), env)
    }

    /// Loads the settings from `path` (which must exist) and the `AKSARA_*`
    /// environment variables, which take precedence.
    ///
    /// # Errors
    /// As [`Settings::load`], and [`SettingsError::Read`] when the file is missing.
    ///
    /// ```no_run
    /// let settings = aksara::Settings::load_from("config/production.toml")?;
    /// # Ok::<(), aksara::SettingsError>(())
    /// ```
    pub fn load_from(path: impl AsRef<Path>) -> Result<Self, SettingsError> {
        let path = path.as_ref();
        let contents = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::build(Some((path, &contents)), process_env()?)
    }

    /// Builds settings from explicit sources instead of the process: the text of a
    /// TOML file (named `aksara.toml` in messages) and environment variables as
    /// pairs. Variables without the `AKSARA_` prefix are ignored. Tests use this,
    /// since the real environment is shared by every thread.
    ///
    /// # Errors
    /// As [`Settings::load`].
    ///
    /// ```
    /// let settings = aksara::Settings::from_sources(
    ///     Some("debug = true\nbind = \"127.0.0.1:9000\"\n"),
    ///     [("AKSARA_BIND", "127.0.0.1:9001"), ("HOME", "/root")],
    /// )?;
    /// assert_eq!(settings.bind, "127.0.0.1:9001");
    /// # Ok::<(), aksara::SettingsError>(())
    /// ```
    pub fn from_sources<I, K, V>(file: Option<&str>, env: I) -> Result<Self, SettingsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let env = env
            .into_iter()
            .map(|(var, text)| (var.into(), text.into()))
            .collect();
        Self::build(file.map(|text| (Path::new(DEFAULT_FILE), text)), env)
    }

    /// Reads the application's own settings — the `[app]` table of the file and the
    /// `AKSARA_APP_*` variables (which win) — into `T`.
    ///
    /// `AKSARA_APP_PAGE_SIZE` sets `page_size`; `AKSARA_APP_MAILER__HOST` sets
    /// `host` in the `mailer` table. Give fields without a sensible default no
    /// `#[serde(default)]`, and a missing one is an error naming its key and variable.
    ///
    /// # Errors
    /// [`SettingsError::Missing`] or [`SettingsError::Invalid`], naming the key.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Blog {
    ///     page_size: u32,
    ///     mailer: Mailer,
    /// }
    /// #[derive(serde::Deserialize)]
    /// struct Mailer {
    ///     host: String,
    ///     port: u16,
    /// }
    ///
    /// let file = "debug = true\n[app]\npage_size = 20\n[app.mailer]\nhost = \"localhost\"\nport = 25\n";
    /// let settings = aksara::Settings::from_sources(Some(file), [("AKSARA_APP_MAILER__PORT", "2525")])?;
    /// let blog: Blog = settings.extra()?;
    /// assert_eq!((blog.page_size, blog.mailer.host.as_str(), blog.mailer.port), (20, "localhost", 2525));
    ///
    /// let settings = aksara::Settings::from_sources(Some("debug = true"), None::<(String, String)>)?;
    /// let err = settings.extra::<Blog>().err().unwrap();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "missing setting `app.page_size`: set it in aksara.toml or with the environment variable AKSARA_APP_PAGE_SIZE"
    /// );
    /// # Ok::<(), aksara::SettingsError>(())
    /// ```
    pub fn extra<T: DeserializeOwned>(&self) -> Result<T, SettingsError> {
        match self.tree.get(&[APP_TABLE]) {
            Some(table) => de::from_node(table, APP_TABLE),
            None => de::from_node(&Node::empty_table(SettingSource::Default), APP_TABLE),
        }
    }

    /// Reads the section `T` (`[T::NAME]` in the file, `AKSARA_<NAME>_*` in the
    /// environment, which wins) and runs its [`Section::finish`]. A declared
    /// section ([`declare_section!`](crate::declare_section)) was already checked
    /// when the settings loaded, so this only fails for settings that did not come
    /// from a loader.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] or [`SettingsError::Missing`], naming the key and
    /// where its value came from.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aksara::settings::ServerSettings;
    ///
    /// let settings = aksara::Settings::from_sources(
    ///     Some("debug = true\n[server]\nidle_timeout = \"20s\"\n"),
    ///     None::<(String, String)>,
    /// )?;
    /// let server: ServerSettings = settings.section()?;
    /// assert_eq!(server.idle_timeout, Duration::from_secs(20));
    /// assert_eq!(server, settings.server);
    /// # Ok::<(), aksara::SettingsError>(())
    /// ```
    pub fn section<T: Section>(&self) -> Result<T, SettingsError> {
        match self.tree.get(&[T::NAME]) {
            Some(table) => section::read(table),
            None => section::read(&Node::empty_table(SettingSource::Default)),
        }
    }

    /// Checks the secret key as [`Settings::load`] does: outside debug mode a
    /// missing or weak key is an error. [`Aksara::serve`](crate::Aksara::serve)
    /// calls this for settings given to the app.
    ///
    /// # Errors
    /// [`SettingsError::InsecureSecretKey`] when `debug` is off and
    /// [`SecretKey::weakness`] finds a problem.
    ///
    /// ```
    /// let mut settings = aksara::Settings::default();
    /// settings.secret_key = aksara::SecretKey::new("not-long-enough");
    /// assert!(settings.check_secret_key().is_err());
    /// settings.secret_key = aksara::SecretKey::generate();
    /// assert!(settings.check_secret_key().is_ok());
    /// ```
    pub fn check_secret_key(&self) -> Result<(), SettingsError> {
        match self.secret_key.weakness() {
            Some(reason) if !self.debug => Err(SettingsError::InsecureSecretKey {
                origin: None,
                reason,
            }),
            _ => Ok(()),
        }
    }

    fn build(
        file: Option<(&Path, &str)>,
        env: Vec<(String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut tree = match file {
            Some((path, text)) => Node::parse_toml(path, text)?,
            None => Node::empty_table(SettingSource::Default),
        };
        for (var, text) in env {
            match env_key_path(&var) {
                Some(path) => tree.set(&path, Node::env(&var, text)),
                None if var.starts_with(ENV_PREFIX) && var != CONFIG_VAR => {
                    tracing::debug!(target: "aksara::settings", var, "not a setting; ignored");
                }
                None => {}
            }
        }
        check_top_level_keys(&tree)?;
        let raw: RawSettings = de::from_node(&tree, "")?;
        let invalid = |key: &[&str], message: String| SettingsError::Invalid {
            key: key.join("."),
            origin: tree.origin_of(key),
            message,
        };

        if Backend::from_url(&raw.database_url).is_none() {
            return Err(invalid(
                &["database_url"],
                format!(
                    "expected a URL starting with sqlite:, postgres:, postgresql:, mysql: or \
                     mariadb:, got {:?}",
                    redact_url(&raw.database_url)
                ),
            ));
        }
        check_bind(&raw.bind).map_err(|message| invalid(&["bind"], message))?;
        if let Some(app) = tree.get(&[APP_TABLE])
            && !matches!(app.value, Value::Table(_))
        {
            return Err(invalid(
                &[APP_TABLE],
                "expected a table ([app] in TOML) of the application's own settings".into(),
            ));
        }
        check_section_names()?;
        let empty = Node::empty_table(SettingSource::Default);
        for declared in section::declared_sections() {
            declared.check(tree.get(&[declared.name()]).unwrap_or(&empty))?;
        }
        let server = section::read(tree.get(&[ServerSettings::NAME]).unwrap_or(&empty))?;

        let secret_origin = tree.origin_of(&["secret_key"]);
        let secret_key = secret_key(raw.secret_key, raw.debug, secret_origin)?;
        tracing::debug!(target: "aksara::settings", debug = raw.debug, "settings loaded");
        Ok(Self {
            secret_key,
            debug: raw.debug,
            database_url: raw.database_url,
            bind: raw.bind,
            server,
            tree,
        })
    }
}

/// Refuses two types declaring one section name, and a section named like one of
/// `aksara`'s own keys or `app`: their variables and tables would collide.
fn check_section_names() -> Result<(), SettingsError> {
    let own = de::field_names::<RawSettings>();
    let mut seen: Vec<&SectionDeclaration> = Vec::new();
    for declared in section::declared_sections() {
        let name = declared.name();
        let clash = if own.contains(&name) || name == APP_TABLE {
            Some(format!("`{name}` is one of aksara's own keys"))
        } else {
            seen.iter()
                .find(|other| other.name() == name && other.type_name() != declared.type_name())
                .map(|other| format!("`{name}` is also declared by {}", other.type_name()))
        };
        if let Some(clash) = clash {
            return Err(SettingsError::Invalid {
                key: name.to_owned(),
                origin: SettingSource::Default,
                message: format!(
                    "the section declared by {} cannot be read: {clash}; give it another NAME",
                    declared.type_name()
                ),
            });
        }
        seen.push(declared);
    }
    Ok(())
}

/// Refuses a top-level key that is neither one of `aksara`'s own, `[app]`, nor a
/// declared section, as serde's `deny_unknown_fields` would word it.
fn check_top_level_keys(tree: &Node) -> Result<(), SettingsError> {
    let Value::Table(map) = &tree.value else {
        return Ok(());
    };
    let own = de::field_names::<RawSettings>();
    let sections: Vec<&str> = section::declared_sections()
        .map(SectionDeclaration::name)
        .collect();
    let known = |key: &str| own.contains(&key) || key == APP_TABLE || sections.contains(&key);
    let Some((key, node)) = map.iter().find(|(key, _)| !known(key)) else {
        return Ok(());
    };
    let expected: Vec<String> = own
        .iter()
        .copied()
        .chain([APP_TABLE])
        .chain(sections.iter().copied())
        .map(|key| format!("`{key}`"))
        .collect();
    Err(SettingsError::Invalid {
        key: key.clone(),
        origin: node.origin.clone(),
        message: format!(
            "unknown field `{key}`, expected one of {} (a table of another crate's settings \
             is known once that crate is linked and declares it with aksara::declare_section!)",
            expected.join(", ")
        ),
    })
}

impl fmt::Debug for Settings {
    // Never the secret key, the database password or the application's values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("secret_key", &self.secret_key)
            .field("debug", &self.debug)
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("server", &self.server)
            .field("keys", &self.tree.keys())
            .finish()
    }
}

/// The process's `AKSARA_*` variables.
fn process_env() -> Result<Vec<(String, String)>, SettingsError> {
    let mut vars = Vec::new();
    for (name, text) in std::env::vars_os() {
        let Some(name) = name.to_str().filter(|name| name.starts_with(ENV_PREFIX)) else {
            continue;
        };
        match text.into_string() {
            Ok(text) => vars.push((name.to_owned(), text)),
            Err(_) => {
                return Err(SettingsError::Invalid {
                    key: env_key_path(name).map_or_else(|| name.to_owned(), |path| path.join(".")),
                    origin: SettingSource::Env {
                        var: name.to_owned(),
                    },
                    message: "the value is not valid UTF-8".into(),
                });
            }
        }
    }
    Ok(vars)
}

/// The settings key an `AKSARA_*` variable sets, if it sets one.
fn env_key_path(var: &str) -> Option<Vec<String>> {
    let name = var.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
    // `AKSARA_APP_MAILER__HOST` → `app.mailer.host`; a section's first key must be
    // one of its fields, deeper keys are the section's business.
    let nested = |table: &str, rest: &str, first_ok: &dyn Fn(&str) -> bool| {
        let mut path = vec![table.to_owned()];
        for (index, segment) in rest.split("__").enumerate() {
            if segment.is_empty() || (index == 0 && !first_ok(segment)) {
                return None;
            }
            path.push(segment.to_owned());
        }
        Some(path)
    };
    // `aksara`'s own keys first: a section can never take `AKSARA_DATABASE_URL`.
    if de::field_names::<RawSettings>().contains(&name.as_str()) {
        return Some(vec![name]);
    }
    if let Some(rest) = name.strip_prefix("app_") {
        return nested(APP_TABLE, rest, &|_| true);
    }
    for declared in section::declared_sections() {
        let fields = declared.fields();
        if let Some(path) = name
            .strip_prefix(declared.name())
            .and_then(|rest| rest.strip_prefix('_'))
            .and_then(|rest| nested(declared.name(), rest, &|key| fields.contains(&key)))
        {
            return Some(path);
        }
    }
    None
}

/// Applies the secret-key policy: refuse a weak key outside debug mode, warn (and
/// generate one when missing) in debug mode.
fn secret_key(
    key: Option<String>,
    debug: bool,
    origin: SettingSource,
) -> Result<SecretKey, SettingsError> {
    let key = SecretKey::new(key.unwrap_or_default());
    let Some(reason) = key.weakness() else {
        return Ok(key);
    };
    if !debug {
        let reason = if key.is_empty() && origin == SettingSource::Default {
            "is not set".to_owned()
        } else {
            reason
        };
        return Err(SettingsError::InsecureSecretKey {
            origin: (origin != SettingSource::Default).then_some(origin),
            reason,
        });
    }
    if key.is_empty() {
        tracing::warn!(
            target: "aksara::settings",
            "secret_key is not set; using a random key for this run (debug mode). Sessions \
             and signed values will not survive a restart"
        );
        Ok(SecretKey::generate())
    } else {
        tracing::warn!(
            target: "aksara::settings",
            "secret_key {reason}; accepted only because debug = true. Never deploy it"
        );
        Ok(key)
    }
}

/// `host:port`, with a numeric port; IPv6 hosts in brackets.
fn check_bind(bind: &str) -> Result<(), String> {
    let expected = || format!("expected host:port such as 127.0.0.1:8000, got {bind:?}");
    let (host, port) = bind.trim().rsplit_once(':').ok_or_else(expected)?;
    let bare_v6 = host.contains(':') && !(host.starts_with('[') && host.ends_with(']'));
    if host.is_empty() || bare_v6 || port.parse::<u16>().is_err() {
        return Err(expected());
    }
    Ok(())
}

/// The URL with its password (and any password-like query parameter) hidden.
fn redact_url(text: &str) -> String {
    let Ok(mut url) = url::Url::parse(text) else {
        return if text.contains('@') {
            "<redacted>".into()
        } else {
            text.to_owned()
        };
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("redacted"));
    }
    let secret = |key: &str| {
        let key = key.to_ascii_lowercase();
        ["pass", "secret", "token", "key"]
            .iter()
            .any(|word| key.contains(word))
    };
    if url.query_pairs().any(|(key, _)| secret(&key)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let value = if secret(&key) {
                    "redacted".into()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.into()
}

#[cfg(test)]
mod tests;
