//! `aksara-auth`'s settings sections, `[session]` and `[csrf]`, read through
//! `aksara::Settings`: both sources, the strict profile, and errors that name the
//! key and where its value came from.

use std::time::Duration;

use aksara::{Settings, SettingsError};
use aksara_auth::csrf::CsrfSettings;
use aksara_auth::session::{SameSite, SessionProfile, SessionSettings};

const KEY: &str = "hV3kP9sQ2wX7zR1mN5bT8cY4fJ6gL0dA";

fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::from_sources(file, env.iter().copied())
}

fn error(file: Option<&str>, env: &[(&str, &str)]) -> String {
    load(file, env).expect_err("should be refused").to_string()
}

fn session(settings: &Settings) -> SessionSettings {
    settings.section().expect("checked when loaded")
}

fn csrf(settings: &Settings) -> CsrfSettings {
    settings.section().expect("checked when loaded")
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

#[test]
fn sections_nobody_set_are_their_defaults() {
    let settings = load(None, &[("AKSARA_SECRET_KEY", KEY)]).unwrap();
    let defaults = session(&settings);
    assert_eq!(defaults, SessionSettings::default());
    assert_eq!(defaults.profile, SessionProfile::Standard);
    assert_eq!(defaults.max_age, days(14));
    assert_eq!(defaults.absolute_lifetime, days(30));
    assert_eq!(csrf(&settings), CsrfSettings::default());
}

#[test]
fn every_key_reads_from_the_file() {
    let file = format!(
        r#"
secret_key = "{KEY}"

[session]
cookie_name = "sid"
secure = false
same_site = "Strict"
max_age = 3600
idle_timeout = "30m"
absolute_lifetime = "1d 12h"
domain = "Example.com"
path = "/app"

[csrf]
trusted_origins = ["https://admin.example.com", "http://localhost:3000/"]
"#
    );
    let settings = load(Some(&file), &[]).unwrap();
    let session = session(&settings);
    assert_eq!(session.cookie_name, "sid");
    assert!(!session.secure);
    assert_eq!(session.same_site, SameSite::Strict);
    assert_eq!(session.max_age, Duration::from_secs(3600));
    assert_eq!(session.idle_timeout, Duration::from_secs(1800));
    assert_eq!(session.absolute_lifetime, Duration::from_secs(129_600));
    assert_eq!(session.domain.as_deref(), Some("example.com"));
    assert_eq!(session.path, "/app");
    assert_eq!(
        csrf(&settings).trusted_origins,
        ["https://admin.example.com", "http://localhost:3000"]
    );
}

#[test]
fn every_key_reads_from_the_environment() {
    let settings = load(
        None,
        &[
            ("AKSARA_SECRET_KEY", KEY),
            ("AKSARA_SESSION_COOKIE_NAME", "sid"),
            ("AKSARA_SESSION_SECURE", "0"),
            ("AKSARA_SESSION_SAME_SITE", "strict"),
            ("AKSARA_SESSION_MAX_AGE", "600"),
            ("AKSARA_SESSION_IDLE_TIMEOUT", "5m"),
            ("AKSARA_SESSION_ABSOLUTE_LIFETIME", "2w"),
            ("AKSARA_SESSION_DOMAIN", "example.com"),
            ("AKSARA_SESSION_PATH", "/api"),
            (
                "AKSARA_CSRF_TRUSTED_ORIGINS",
                "https://a.example.com, https://b.example.com:8443",
            ),
        ],
    )
    .unwrap();
    let session = session(&settings);
    assert_eq!(session.cookie_name, "sid");
    assert!(!session.secure);
    assert_eq!(session.same_site, SameSite::Strict);
    assert_eq!(session.max_age, Duration::from_secs(600));
    assert_eq!(session.idle_timeout, Duration::from_secs(300));
    assert_eq!(session.absolute_lifetime, days(14));
    assert_eq!(session.domain.as_deref(), Some("example.com"));
    assert_eq!(session.path, "/api");
    assert_eq!(
        csrf(&settings).trusted_origins,
        ["https://a.example.com", "https://b.example.com:8443"]
    );
}

#[test]
fn the_environment_overrides_the_file() {
    let file = format!(
        "secret_key = \"{KEY}\"\n[session]\ncookie_name = \"from_file\"\nmax_age = \"7d\"\n"
    );
    let settings = load(Some(&file), &[("AKSARA_SESSION_MAX_AGE", "1h")]).unwrap();
    let session = session(&settings);
    assert_eq!(session.max_age, Duration::from_secs(3600));
    assert_eq!(session.cookie_name, "from_file");
}

#[test]
fn the_strict_session_profile_sets_every_lifetime_unless_given() {
    let strict = session(
        &load(
            Some("[session]\nprofile = \"strict\"\n"),
            &[("AKSARA_SECRET_KEY", KEY)],
        )
        .unwrap(),
    );
    assert_eq!(strict, SessionSettings::strict());
    assert_eq!(strict.profile, SessionProfile::Strict);
    assert_eq!(strict.idle_timeout, Duration::from_secs(30 * 60));
    assert_eq!(strict.absolute_lifetime, Duration::from_secs(8 * 3600));
    assert_eq!(strict.max_age, Duration::from_secs(8 * 3600));
    assert_eq!(strict.cookie_name, SessionSettings::default().cookie_name);

    // Explicit lifetimes win, from the file or the environment, whichever sets the profile.
    let given = session(
        &load(
            Some("[session]\nidle_timeout = \"5m\"\n"),
            &[
                ("AKSARA_SECRET_KEY", KEY),
                ("AKSARA_SESSION_PROFILE", "Strict"),
                ("AKSARA_SESSION_MAX_AGE", "1h"),
            ],
        )
        .unwrap(),
    );
    assert_eq!(given.profile, SessionProfile::Strict);
    assert_eq!(given.idle_timeout, Duration::from_secs(300));
    assert_eq!(given.max_age, Duration::from_secs(3600));
    assert_eq!(given.absolute_lifetime, Duration::from_secs(8 * 3600));

    let standard = session(
        &load(
            Some("[session]\nprofile = \"standard\"\n"),
            &[("AKSARA_SECRET_KEY", KEY)],
        )
        .unwrap(),
    );
    assert_eq!(standard, SessionSettings::default());

    assert_eq!(
        error(
            None,
            &[
                ("AKSARA_SECRET_KEY", KEY),
                ("AKSARA_SESSION_PROFILE", "paranoid"),
            ],
        ),
        "invalid setting `session.profile` (environment variable AKSARA_SESSION_PROFILE): \
         expected \"standard\" or \"strict\", got \"paranoid\""
    );
}

#[test]
fn malformed_environment_values_name_the_variable() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "AKSARA_SESSION_MAX_AGE",
            "7 dayz",
            "invalid setting `session.max_age` (environment variable AKSARA_SESSION_MAX_AGE): \
             invalid duration \"7 dayz\"",
        ),
        (
            "AKSARA_SESSION_SAME_SITE",
            "sometimes",
            "invalid setting `session.same_site` (environment variable \
             AKSARA_SESSION_SAME_SITE): expected \"strict\", \"lax\" or \"none\", got \"sometimes\"",
        ),
        (
            "AKSARA_CSRF_TRUSTED_ORIGINS",
            "https://ok.example.com,ftp://files.example.com",
            "invalid setting `csrf.trusted_origins[1]` (environment variable \
             AKSARA_CSRF_TRUSTED_ORIGINS): expected an origin such as https://app.example.com, \
             got \"ftp://files.example.com\"",
        ),
        (
            "AKSARA_SESSION_COOKIE_NAME",
            "my session",
            "invalid setting `session.cookie_name` (environment variable \
             AKSARA_SESSION_COOKIE_NAME): expected a cookie name",
        ),
    ];
    for (var, value, expected) in cases {
        let message = error(None, &[("AKSARA_SECRET_KEY", KEY), (var, value)]);
        assert!(message.starts_with(expected), "{var}={value}:\n{message}");
    }
}

#[test]
fn malformed_file_values_name_the_key_and_line() {
    let cases = [
        (
            "[session]\nmax_age = -5\n",
            "invalid setting `session.max_age` (aksara.toml, line 2, column 11): invalid value: \
             integer `-5`",
        ),
        (
            "[session]\nidle_timeout = 0\n",
            "invalid setting `session.idle_timeout` (aksara.toml, line 2, column 16): expected a \
             duration greater than zero",
        ),
        (
            "[session]\nsame_site = \"none\"\nsecure = false\n",
            "invalid setting `session.same_site` (aksara.toml, line 2, column 13): same_site = \
             \"none\" requires secure = true",
        ),
        (
            "[session]\ncookie_nam = \"x\"\n",
            "invalid setting `session.cookie_nam` (aksara.toml, line 2, column 14): unknown \
             field `cookie_nam`, expected one of `cookie_name`",
        ),
        (
            "[session]\npath = \"app\"\n",
            "invalid setting `session.path` (aksara.toml, line 2, column 8): expected a path \
             starting with /",
        ),
        (
            "[session]\ndomain = \"exa mple.com\"\n",
            "invalid setting `session.domain` (aksara.toml, line 2, column 10): expected a host \
             name",
        ),
        (
            "[csrf]\ntrusted_origins = [\"https://ok.example.com\", \"*\"]\n",
            "invalid setting `csrf.trusted_origins[1]` (aksara.toml, line 2, column 46): \
             expected an origin such as https://app.example.com, got \"*\"",
        ),
    ];
    for (file, expected) in cases {
        let message = error(Some(file), &[("AKSARA_SECRET_KEY", KEY)]);
        assert!(message.starts_with(expected), "{file}:\n{message}");
    }
}

#[test]
fn trusted_origins_are_normalised_and_anything_else_refused() {
    let origins = |list: &str| {
        load(
            None,
            &[
                ("AKSARA_SECRET_KEY", KEY),
                ("AKSARA_CSRF_TRUSTED_ORIGINS", list),
            ],
        )
        .map(|settings| csrf(&settings).trusted_origins)
    };
    assert_eq!(
        origins("HTTPS://App.Example.COM:443/, http://localhost:3000").unwrap(),
        ["https://app.example.com", "http://localhost:3000"]
    );
    for bad in [
        "app.example.com",
        "https://app.example.com/path",
        "https://app.example.com?x=1",
        "https://user@app.example.com",
        "ftp://app.example.com",
        "*",
    ] {
        assert!(origins(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_session_layer_reads_its_section() {
    use aksara_auth::session::{MemoryStore, SessionLayer};
    let settings = load(
        Some("[session]\ncookie_name = \"sid\"\nsame_site = \"strict\"\n"),
        &[("AKSARA_SECRET_KEY", KEY)],
    )
    .unwrap();
    let layer = SessionLayer::from_settings(MemoryStore::new(), &settings).unwrap();
    let shown = format!("{layer:?}");
    assert!(
        shown.contains("\"sid\"") && shown.contains("Strict"),
        "{shown}"
    );
}
