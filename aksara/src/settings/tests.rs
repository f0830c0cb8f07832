//! Settings loading: precedence, every key from both sources, errors that name the
//! key and its source, the secret-key policy and redacted `Debug`.

use std::time::Duration;

use super::*;

const KEY: &str = "hV3kP9sQ2wX7zR1mN5bT8cY4fJ6gL0dA";

fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::from_sources(file, env.iter().copied())
}

fn error(file: Option<&str>, env: &[(&str, &str)]) -> String {
    load(file, env).expect_err("should be refused").to_string()
}

/// A section as another crate declares one (`aksara-auth`'s `[session]` is
/// tested there), to test the mechanism here.
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Cache {
    #[serde(deserialize_with = "deserialize_duration")]
    ttl: Duration,
    enabled: bool,
    hosts: Vec<String>,
    level: u8,
}

impl Default for Cache {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(60),
            enabled: true,
            hosts: Vec::new(),
            level: 0,
        }
    }
}

impl Section for Cache {
    const NAME: &'static str = "cache";

    fn finish(&mut self, given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        if !given.is_set("level") {
            self.level = if self.enabled { 3 } else { 0 };
        }
        if self.ttl.is_zero() {
            return Err(InvalidKey::new(
                "ttl",
                "expected a duration greater than zero",
            ));
        }
        for (index, host) in self.hosts.iter_mut().enumerate() {
            if host.trim().is_empty() || host.contains(' ') {
                return Err(InvalidKey::item(
                    "hosts",
                    index,
                    format!("expected a host name, got {host:?}"),
                ));
            }
            host.make_ascii_lowercase();
        }
        Ok(())
    }
}

crate::declare_section!(Cache);

fn cache(settings: &Settings) -> Cache {
    settings.section().expect("checked when loaded")
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let settings = load(None, &[("AKSARA_SECRET_KEY", KEY)]).unwrap();
    assert!(!settings.debug);
    assert_eq!(settings.secret_key.expose(), KEY);
    assert_eq!(settings.database_url, "sqlite://aksara.db");
    assert_eq!(settings.bind, "127.0.0.1:8000");
    assert_eq!(settings.server, ServerSettings::default());
    // A section nobody set is its defaults, finished.
    assert_eq!(
        cache(&settings),
        Cache {
            level: 3,
            ..Cache::default()
        }
    );
}

#[test]
fn every_section_field_has_an_environment_variable() {
    for field in de::field_names::<Cache>() {
        let var = format!("AKSARA_CACHE_{}", field.to_ascii_uppercase());
        assert_eq!(
            env_key_path(&var),
            Some(vec!["cache".to_owned(), (*field).to_owned()]),
            "{var}"
        );
    }
    assert_eq!(
        env_key_path("AKSARA_CACHE_HOSTS__EXTRA"),
        Some(vec![
            "cache".to_owned(),
            "hosts".to_owned(),
            "extra".to_owned()
        ])
    );
    assert_eq!(env_key_path("AKSARA_CACHE_NOPE"), None);
    assert_eq!(env_key_path("AKSARA_CACHE_"), None);
    for field in de::field_names::<ServerSettings>() {
        let var = format!("AKSARA_SERVER_{}", field.to_ascii_uppercase());
        assert_eq!(
            env_key_path(&var),
            Some(vec!["server".to_owned(), (*field).to_owned()]),
            "{var}"
        );
    }
    for top in ["secret_key", "debug", "database_url", "bind"] {
        let var = format!("AKSARA_{}", top.to_ascii_uppercase());
        assert_eq!(env_key_path(&var), Some(vec![top.to_owned()]), "{var}");
    }
}

#[test]
fn unrelated_and_unknown_variables_are_ignored() {
    let settings = load(
        None,
        &[
            ("AKSARA_SECRET_KEY", KEY),
            ("AKSARA_TEST_POSTGRES_URL", "postgres://x"),
            ("AKSARA_CONFIG", "elsewhere.toml"),
            ("AKSARA_SERVER_NOPE", "1"),
            ("AKSARA_CACHE_NOPE", "1"),
            ("AKSARA_APP_", "1"),
            ("PATH", "/usr/bin"),
            ("aksara_debug", "maybe"),
        ],
    )
    .unwrap();
    assert!(!settings.debug);
    assert_eq!(settings.tree.keys(), ["secret_key"]);
}

#[test]
fn malformed_file_values_name_the_key_and_line() {
    let message = error(
        Some("secret_key = \"x\"\ndebug = \"yes\"\n"),
        &[("AKSARA_SECRET_KEY", KEY)],
    );
    assert_eq!(
        message,
        "invalid setting `debug` (aksara.toml, line 2, column 9): invalid type: string \"yes\", \
         expected a boolean"
    );
    let message = error(Some("[cache]\nttl = -5\n"), &[("AKSARA_SECRET_KEY", KEY)]);
    assert!(
        message.starts_with("invalid setting `cache.ttl` (aksara.toml, line 2, column 7): invalid value: integer `-5`"),
        "{message}"
    );
    let message = error(Some("[cache]\nttl = 0\n"), &[("AKSARA_SECRET_KEY", KEY)]);
    assert_eq!(
        message,
        "invalid setting `cache.ttl` (aksara.toml, line 2, column 7): expected a \
         duration greater than zero"
    );
    let message = error(
        Some("[cache]\nhosts = [\"a\", \"b c\"]\n"),
        &[("AKSARA_SECRET_KEY", KEY)],
    );
    assert!(
        message.starts_with("invalid setting `cache.hosts[1]` (aksara.toml, line 2, column 15): expected a host name, got \"b c\""),
        "{message}"
    );
    let message = error(Some("app = 3\n"), &[("AKSARA_SECRET_KEY", KEY)]);
    assert!(
        message
            .starts_with("invalid setting `app` (aksara.toml, line 1, column 7): expected a table"),
        "{message}"
    );
}

#[test]
fn unknown_keys_in_the_file_are_errors() {
    let message = error(Some("secert_key = \"x\"\n"), &[("AKSARA_SECRET_KEY", KEY)]);
    assert!(
        message.starts_with(
            "invalid setting `secert_key` (aksara.toml, line 1, column 14): unknown field \
             `secert_key`, expected one of `secret_key`"
        ),
        "{message}"
    );
    let message = error(
        Some("[cache]\nttll = \"x\"\n"),
        &[("AKSARA_SECRET_KEY", KEY)],
    );
    assert!(
        message.starts_with(
            "invalid setting `cache.ttll` (aksara.toml, line 2, column 8): unknown \
             field `ttll`, expected one of `ttl`"
        ),
        "{message}"
    );
}

#[test]
fn invalid_toml_is_reported_with_its_line() {
    let message = error(Some("debug = true\n[cache\n"), &[]);
    assert!(
        message.starts_with("aksara.toml is not valid TOML: TOML parse error at line 2"),
        "{message}"
    );
}

#[test]
fn outside_debug_a_missing_or_weak_secret_key_is_refused() {
    let message = error(None, &[]);
    assert!(
        message.starts_with(
            "refusing to start: secret_key is not set; set AKSARA_SECRET_KEY (or secret_key in \
             aksara.toml) to at least 32 random bytes"
        ),
        "{message}"
    );
    let message = error(None, &[("AKSARA_SECRET_KEY", "")]);
    assert!(
        message.starts_with(
            "refusing to start: secret_key is empty (environment variable AKSARA_SECRET_KEY)"
        ),
        "{message}"
    );
    let message = error(None, &[("AKSARA_SECRET_KEY", "too-short-Q7x")]);
    assert!(
        message.contains("is 13 bytes long; use at least 32 bytes"),
        "{message}"
    );
    let message = error(
        Some("secret_key = \"aksara-insecure-development-key-do-not-deploy\"\n"),
        &[],
    );
    assert!(
        message.starts_with(
            "refusing to start: secret_key is a placeholder from documentation or a template \
             (it contains \"insecure\") (aksara.toml, line 1, column 14)"
        ),
        "{message}"
    );
    assert!(!message.contains("do-not-deploy"), "{message}");
    let message = error(None, &[("AKSARA_SECRET_KEY", &"ab".repeat(20))]);
    assert!(message.contains("only 2 distinct characters"), "{message}");
}

#[test]
fn debug_mode_allows_a_weak_key_and_generates_a_missing_one() {
    let settings = load(None, &[("AKSARA_DEBUG", "true")]).unwrap();
    assert_eq!(settings.secret_key.len(), 64);
    assert_eq!(settings.secret_key.weakness(), None);
    let other = load(None, &[("AKSARA_DEBUG", "true")]).unwrap();
    assert_ne!(settings.secret_key.expose(), other.secret_key.expose());

    let settings = load(Some("debug = true\nsecret_key = \"dev\"\n"), &[]).unwrap();
    assert_eq!(settings.secret_key.expose(), "dev");
    assert!(settings.check_secret_key().is_ok());

    let mut settings = settings;
    settings.debug = false;
    let message = settings.check_secret_key().unwrap_err().to_string();
    assert!(
        message.starts_with("refusing to start: secret_key is 3 bytes long;"),
        "{message}"
    );
}

#[test]
fn debug_output_hides_secrets() {
    let file = format!(
        "secret_key = \"{KEY}\"\ndatabase_url = \"postgres://app:hunter2@db/app?sslmode=require&password=swordfish\"\n\
         [app]\napi_token = \"tok_live_123\"\n"
    );
    let settings = load(Some(&file), &[]).unwrap();
    let shown = format!("{settings:?} {settings:#?}");
    for secret in [KEY, "hunter2", "swordfish", "tok_live_123"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("SecretKey(<redacted>)"), "{shown}");
    assert!(
        shown.contains("postgres://app:redacted@db/app?sslmode=require&password=redacted"),
        "{shown}"
    );
    assert!(
        shown.contains("keys: [\"app\", \"database_url\", \"secret_key\"]"),
        "{shown}"
    );
    assert_eq!(
        settings.database_url,
        "postgres://app:hunter2@db/app?sslmode=require&password=swordfish"
    );
}

#[test]
fn extra_settings_merge_file_and_environment() {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct App {
        page_size: u32,
        title: String,
        #[serde(default)]
        admins: Vec<String>,
        mailer: Mailer,
        #[serde(default, deserialize_with = "deserialize_duration")]
        cache_ttl: Duration,
    }
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Mailer {
        host: String,
        port: u16,
    }
    let file = format!(
        "secret_key = \"{KEY}\"\n[app]\npage_size = 20\ntitle = \"Blog\"\ncache_ttl = \"5m\"\n\
         [app.mailer]\nhost = \"localhost\"\nport = 25\n"
    );
    let settings = load(
        Some(&file),
        &[
            ("AKSARA_APP_TITLE", "2024"),
            ("AKSARA_APP_ADMINS", "ann@example.com,bob@example.com"),
            ("AKSARA_APP_MAILER__PORT", "2525"),
        ],
    )
    .unwrap();
    let app: App = settings.extra().unwrap();
    assert_eq!(
        app,
        App {
            page_size: 20,
            title: "2024".into(),
            admins: vec!["ann@example.com".into(), "bob@example.com".into()],
            mailer: Mailer {
                host: "localhost".into(),
                port: 2525
            },
            cache_ttl: Duration::from_secs(300),
        }
    );

    let settings = load(Some(&format!("secret_key = \"{KEY}\"\n")), &[]).unwrap();
    let message = settings.extra::<App>().unwrap_err().to_string();
    assert_eq!(
        message,
        "missing setting `app.page_size`: set it in aksara.toml or with the environment variable \
         AKSARA_APP_PAGE_SIZE"
    );
    let settings = load(
        Some(&format!("secret_key = \"{KEY}\"\n[app]\npage_size = 1\ntitle = \"t\"\n[app.mailer]\nhost = \"h\"\n")),
        &[],
    )
    .unwrap();
    let message = settings.extra::<App>().unwrap_err().to_string();
    assert_eq!(
        message,
        "missing setting `app.mailer.port`: set it in aksara.toml or with the environment \
         variable AKSARA_APP_MAILER__PORT"
    );
    let settings = load(
        Some(&format!(
            "secret_key = \"{KEY}\"\n[app]\npage_size = 1\ntitle = \"t\"\n"
        )),
        &[
            ("AKSARA_APP_MAILER__HOST", "h"),
            ("AKSARA_APP_MAILER__PORT", "-1"),
        ],
    )
    .unwrap();
    let message = settings.extra::<App>().unwrap_err().to_string();
    assert_eq!(
        message,
        "invalid setting `app.mailer.port` (environment variable AKSARA_APP_MAILER__PORT): \
         expected a non-negative integer, got \"-1\""
    );
}

#[test]
fn a_missing_named_file_is_an_error() {
    let err = Settings::load_from("/nonexistent/aksara.toml").unwrap_err();
    assert!(matches!(err, SettingsError::Read { .. }));
    assert!(
        err.to_string()
            .starts_with("cannot read settings file /nonexistent/aksara.toml: "),
        "{err}"
    );
}

#[test]
fn bind_addresses() {
    for ok in [
        "127.0.0.1:8000",
        "0.0.0.0:0",
        "localhost:8000",
        "[::1]:80",
        "[::]:443",
    ] {
        assert_eq!(check_bind(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "8000",
        ":8000",
        "127.0.0.1",
        "127.0.0.1:http",
        "::1:80",
        "host:70000",
    ] {
        assert!(check_bind(bad).is_err(), "{bad}");
    }
}

#[test]
fn server_limits_read_from_the_file_and_the_environment() {
    let defaults = ServerSettings::default();
    assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
    assert_eq!(defaults.body_read_timeout, Duration::from_secs(30));
    assert_eq!(defaults.idle_timeout, Duration::from_secs(60));
    assert_eq!(defaults.max_connections, 1024);
    assert_eq!(defaults.shutdown_timeout, Duration::from_secs(30));

    let file = format!(
        r#"
secret_key = "{KEY}"

[server]
header_read_timeout = "2s"
body_read_timeout = 45
idle_timeout = "500ms"
max_connections = 64
shutdown_timeout = "1m"
"#
    );
    let server = load(Some(&file), &[]).unwrap().server;
    assert_eq!(server.header_read_timeout, Duration::from_secs(2));
    assert_eq!(server.body_read_timeout, Duration::from_secs(45));
    assert_eq!(server.idle_timeout, Duration::from_millis(500));
    assert_eq!(server.max_connections, 64);
    assert_eq!(server.shutdown_timeout, Duration::from_secs(60));

    let server = load(
        Some(&file),
        &[
            ("AKSARA_SERVER_HEADER_READ_TIMEOUT", "3"),
            ("AKSARA_SERVER_BODY_READ_TIMEOUT", "1m 30s"),
            ("AKSARA_SERVER_IDLE_TIMEOUT", "5s"),
            ("AKSARA_SERVER_MAX_CONNECTIONS", "4096"),
            ("AKSARA_SERVER_SHUTDOWN_TIMEOUT", "0"),
        ],
    )
    .unwrap()
    .server;
    assert_eq!(server.header_read_timeout, Duration::from_secs(3));
    assert_eq!(server.body_read_timeout, Duration::from_secs(90));
    assert_eq!(server.idle_timeout, Duration::from_secs(5));
    assert_eq!(server.max_connections, 4096);
    assert_eq!(server.shutdown_timeout, Duration::ZERO);
}

#[test]
fn server_limits_that_would_disable_a_guard_are_refused() {
    let message = error(
        Some(
            "[server]
header_read_timeout = 0
",
        ),
        &[("AKSARA_SECRET_KEY", KEY)],
    );
    assert_eq!(
        message,
        "invalid setting `server.header_read_timeout` (aksara.toml, line 2, column 23): expected \
         a duration greater than zero"
    );
    let message = error(
        None,
        &[
            ("AKSARA_SECRET_KEY", KEY),
            ("AKSARA_SERVER_MAX_CONNECTIONS", "0"),
        ],
    );
    assert_eq!(
        message,
        "invalid setting `server.max_connections` (environment variable \
         AKSARA_SERVER_MAX_CONNECTIONS): expected at least 1 connection"
    );
    let message = error(
        None,
        &[
            ("AKSARA_SECRET_KEY", KEY),
            ("AKSARA_SERVER_MAX_CONNECTIONS", "lots"),
        ],
    );
    assert!(
        message.starts_with(
            "invalid setting `server.max_connections` (environment variable \
             AKSARA_SERVER_MAX_CONNECTIONS): expected a non-negative integer"
        ),
        "{message}"
    );
    let message = error(
        Some(
            "[server]
read_timeout = \"5s\"\n",
        ),
        &[("AKSARA_SECRET_KEY", KEY)],
    );
    assert!(
        message.contains("unknown field `read_timeout`, expected one of `header_read_timeout`"),
        "{message}"
    );
}

#[test]
fn every_own_key_reads_from_the_file_and_the_environment() {
    let file = format!(
        "secret_key = \"{KEY}\"\ndebug = false\ndatabase_url = \"postgres://app@db.internal/app\"\n\
         bind = \"0.0.0.0:80\"\n"
    );
    let settings = load(Some(&file), &[]).unwrap();
    assert!(!settings.debug);
    assert_eq!(settings.database_url, "postgres://app@db.internal/app");
    assert_eq!(settings.bind, "0.0.0.0:80");

    let settings = load(
        Some(&file),
        &[
            ("AKSARA_DEBUG", "on"),
            ("AKSARA_DATABASE_URL", "mysql://root@127.0.0.1/app"),
            ("AKSARA_BIND", "[::1]:8080"),
        ],
    )
    .unwrap();
    assert!(settings.debug);
    assert_eq!(settings.database_url, "mysql://root@127.0.0.1/app");
    assert_eq!(settings.bind, "[::1]:8080");
}

#[test]
fn malformed_environment_values_name_the_variable() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "AKSARA_DEBUG",
            "maybe",
            "invalid setting `debug` (environment variable AKSARA_DEBUG): expected a boolean \
             (true/false, 1/0, yes/no or on/off), got \"maybe\"",
        ),
        (
            "AKSARA_BIND",
            "8000",
            "invalid setting `bind` (environment variable AKSARA_BIND): expected host:port such \
             as 127.0.0.1:8000, got \"8000\"",
        ),
        (
            "AKSARA_DATABASE_URL",
            "redis://:hunter2@cache",
            "invalid setting `database_url` (environment variable AKSARA_DATABASE_URL): expected \
             a URL starting with sqlite:",
        ),
        (
            "AKSARA_SERVER_MAX_CONNECTIONS",
            "lots",
            "invalid setting `server.max_connections` (environment variable \
             AKSARA_SERVER_MAX_CONNECTIONS): expected",
        ),
    ];
    for (var, value, expected) in cases {
        let message = error(None, &[("AKSARA_SECRET_KEY", KEY), (var, value)]);
        assert!(message.starts_with(expected), "{var}={value}:\n{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}
