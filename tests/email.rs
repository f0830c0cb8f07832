//! Email delivery (`aksara_auth::email`): the memory outbox, one parseable
//! `.eml` file per message, the console, the `[email]` settings, `send_later`
//! swallowing and logging a failure, and SMTP against a real server on loopback
//! (`tests/fixtures/smtp_server.py`, aiosmtpd) when `AKSARA_TEST_SMTP_URL` and
//! `AKSARA_TEST_SMTP_DIR` are set: plain, AUTH, a refused password, and with
//! `AKSARA_TEST_SMTP_STARTTLS_URL` and `AKSARA_TEST_SMTP_CA` STARTTLS to a
//! server whose certificate a test CA signed (refused without that CA). CI sets
//! them all; without them the SMTP tests print a note and pass. Implicit TLS
//! (`smtps://`) is not tested.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::{Duration, Instant};

use aksara::Settings;
use aksara_auth::email::{
    ConsoleBackend, Email, EmailBackend, EmailBackendKind, EmailError, EmailSettings, FileBackend,
    MailContext, Mailer, MemoryBackend, SmtpBackend,
};
use aksara_tests::CapturedLogs;

/// A fresh folder under the system's temporary one.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aksara-email-{name}-{}", uuid::Uuid::new_v4()));
    assert!(!dir.exists());
    dir
}

/// Splits an RFC 5322 message into its headers (unfolded) and its body,
/// checking every header line has a name and CRLF endings.
fn parse_message(text: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("a blank line between the headers and the body");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("a continuation after a header");
            last.1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').expect("a `Name: value` header line");
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_graphic()),
                "{line:?}"
            );
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    assert!(
        !body.contains('\n') || body.contains("\r\n"),
        "CRLF line endings"
    );
    (headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

#[tokio::test]
async fn the_memory_backend_keeps_every_message_in_one_shared_outbox() {
    let backend = MemoryBackend::new();
    let mailer = Mailer::new(backend.clone(), "Blog <noreply@example.com>");
    let cx = MailContext {
        email: "jane@example.com",
        link: "https://example.com/reset/abc",
        site_name: mailer.site_name(),
        valid_for: Duration::from_secs(2 * 3600),
    };
    let reset = Email::from_content("jane@example.com", mailer.templates().password_reset(&cx));
    mailer.send(&reset).await.unwrap();
    mailer
        .clone()
        .send(&Email::new("joe@example.org", "Second", "Hello Joe"))
        .await
        .unwrap();

    let outbox = backend.clone().outbox();
    assert_eq!(outbox.len(), 2);
    assert_eq!(outbox[0], reset);
    assert!(outbox[0].text.contains("2 hours"), "{}", outbox[0].text);
    assert!(
        outbox[0]
            .html
            .as_deref()
            .unwrap()
            .contains("href=\"https://example.com/reset/abc\"")
    );
    assert_eq!(outbox[1].to, "joe@example.org");

    // A bad address is an error, not a message in the outbox, not a panic.
    let err = mailer
        .send(&Email::new("joe", "Hi", "Hello"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, EmailError::InvalidAddress { role: "to", .. }),
        "{err}"
    );
    assert_eq!(backend.outbox().len(), 2);

    backend.clear();
    assert!(backend.outbox().is_empty());
}

#[tokio::test]
async fn the_file_backend_writes_one_parseable_file_per_message() {
    let dir = temp_dir("file").join("nested");
    let mailer = Mailer::new(FileBackend::new(&dir), "Blog <noreply@example.com>");
    for n in 0..3 {
        let mut email = Email::new(
            "jane@example.com",
            format!("Message {n}"),
            format!("Text {n}"),
        );
        if n == 2 {
            email = email.with_html("<p>Rich 2</p>");
        }
        mailer.send(&email).await.unwrap();
    }

    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    let mut subjects = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let (stamp, rest) = name.split_once('-').expect("<timestamp>-<random>.eml");
        assert!(stamp.starts_with("20") && stamp.ends_with('Z'), "{name}");
        assert!(rest.ends_with(".eml"), "{name}");

        let text = std::fs::read_to_string(path).unwrap();
        let (headers, body) = parse_message(&text);
        assert_eq!(header(&headers, "From"), Some("Blog <noreply@example.com>"));
        assert_eq!(header(&headers, "To"), Some("jane@example.com"));
        assert!(header(&headers, "Date").is_some(), "{text}");
        assert!(header(&headers, "Message-ID").is_some(), "{text}");
        let subject = header(&headers, "Subject").unwrap().to_owned();
        let n = subject.strip_prefix("Message ").unwrap();
        assert!(body.contains(&format!("Text {n}")), "{text}");
        if n == "2" {
            let content_type = header(&headers, "Content-Type").unwrap();
            assert!(
                content_type.starts_with("multipart/alternative"),
                "{content_type}"
            );
            assert!(body.contains("<p>Rich 2</p>"), "{text}");
        }
        subjects.push(subject);
    }
    subjects.sort();
    assert_eq!(subjects, ["Message 0", "Message 1", "Message 2"]);
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn the_file_backend_reports_a_folder_it_cannot_create() {
    let blocker = temp_dir("blocker");
    std::fs::write(&blocker, "a file, not a folder").unwrap();
    let mailer = Mailer::new(
        FileBackend::new(blocker.join("mail")),
        "noreply@example.com",
    );
    let err = mailer
        .send(&Email::new("jane@example.com", "Hi", "Hello"))
        .await
        .unwrap_err();
    assert!(matches!(err, EmailError::Io { .. }), "{err}");
    assert!(err.to_string().contains("file_dir"), "{err}");
    std::fs::remove_file(blocker).unwrap();
}

#[tokio::test]
async fn the_console_backend_writes_without_failing() {
    let mailer = Mailer::new(ConsoleBackend, "noreply@example.com");
    mailer
        .send(&Email::new("jane@example.com", "Console", "Hello").with_html("<p>Hello</p>"))
        .await
        .unwrap();
    assert!(
        mailer
            .send(&Email::new("", "Console", "Hello"))
            .await
            .is_err()
    );
}

fn settings(file: &str, env: &[(&str, &str)]) -> Result<Settings, aksara::SettingsError> {
    Settings::from_sources(Some(file), env.iter().copied())
}

const PRODUCTION: &str = "secret_key = \"k3y-that-is-long-enough-and-random-enough-0123456789\"\n";

#[test]
fn settings_default_to_the_console_in_debug_mode() {
    let loaded = settings("debug = true\n", &[]).unwrap();
    let email = EmailSettings::from_settings(&loaded).unwrap();
    assert_eq!(email.backend, EmailBackendKind::Console);
    assert_eq!(email.from, "webmaster@localhost");
    assert_eq!(email.file_dir, Path::new("mail"));
    assert_eq!(email.smtp_url, None);
    assert_eq!(email.timeout, Duration::from_secs(10));
    assert_eq!(email.site_name, "Aksara");
    let mailer = Mailer::from_settings(&loaded).unwrap();
    assert!(
        format!("{mailer:?}").contains("ConsoleBackend"),
        "{mailer:?}"
    );
    assert_eq!(mailer.from(), "webmaster@localhost");
}

#[test]
fn settings_outside_debug_mode_need_a_backend() {
    let loaded = settings(PRODUCTION, &[]).unwrap();
    let err = Mailer::from_settings(&loaded).unwrap_err().to_string();
    assert!(
        err.contains("email.backend") && err.contains("set `[email] backend`"),
        "{err}"
    );

    let loaded = settings(&format!("{PRODUCTION}[email]\nbackend = \"file\"\n"), &[]).unwrap();
    let mailer = Mailer::from_settings(&loaded).unwrap();
    assert!(format!("{mailer:?}").contains("FileBackend"), "{mailer:?}");
}

#[test]
fn an_smtp_backend_without_smtp_url_names_the_key() {
    let err = settings("debug = true\n[email]\nbackend = \"smtp\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("invalid setting `email.smtp_url`"), "{err}");
    let err = settings("debug = true\n", &[("AKSARA_EMAIL_BACKEND", "smtp")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("email.smtp_url"), "{err}");
}

#[test]
fn environment_variables_override_the_file() {
    let loaded = settings(
        "debug = true\n[email]\nbackend = \"memory\"\nfrom = \"file@example.com\"\nsite_name = \"File\"\n",
        &[
            ("AKSARA_EMAIL_BACKEND", "smtp"),
            ("AKSARA_EMAIL_SMTP_URL", "smtp://mailer:hunter2@smtp.example.com:587?tls=required"),
            ("AKSARA_EMAIL_FROM", "Blog <env@example.com>"),
            ("AKSARA_EMAIL_TIMEOUT", "2s"),
            ("AKSARA_EMAIL_SITE_NAME", "Env"),
        ],
    )
    .unwrap();
    let email = EmailSettings::from_settings(&loaded).unwrap();
    assert_eq!(email.backend, EmailBackendKind::Smtp);
    assert_eq!(email.from, "Blog <env@example.com>");
    assert_eq!(email.timeout, Duration::from_secs(2));
    assert!(!format!("{email:?}").contains("hunter2"));
    let mailer = Mailer::from_settings(&loaded).unwrap();
    assert_eq!(mailer.site_name(), "Env");
    let debug = format!("{mailer:?}");
    assert!(
        debug.contains("SmtpBackend") && !debug.contains("hunter2"),
        "{debug}"
    );
}

/// Fails every message, as an unreachable provider would.
struct Failing;

impl EmailBackend for Failing {
    fn send<'a>(
        &'a self,
        _from: &'a str,
        _email: &'a Email,
    ) -> Pin<Box<dyn Future<Output = Result<(), EmailError>> + Send + 'a>> {
        Box::pin(async {
            Err(EmailError::Io {
                target: "the provider".into(),
                source: std::io::Error::other("provider down"),
            })
        })
    }
}

#[tokio::test(flavor = "current_thread")]
async fn send_later_logs_a_failure_and_swallows_it() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mailer = Mailer::new(Failing, "noreply@example.com");
    mailer.send_later(Email::new(
        "jane.doe@example.com",
        "Reset",
        "https://example.com/reset/SECRET-TOKEN",
    ));
    // The call returned at once; the task runs on this (current-thread) runtime.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !logs.text().contains("email not sent") {
        assert!(
            Instant::now() < deadline,
            "no warning logged: {}",
            logs.text()
        );
        tokio::task::yield_now().await;
    }
    let text = logs.text();
    assert!(text.contains("WARN"), "{text}");
    assert!(text.contains("provider down"), "{text}");
    assert!(
        text.contains("to_domain=\"example.com\"") || text.contains("to_domain=example.com"),
        "{text}"
    );
    assert!(
        !text.contains("jane.doe"),
        "the full address is logged: {text}"
    );
    assert!(!text.contains("SECRET-TOKEN"), "the body is logged: {text}");
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_a_transport_error() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let backend = SmtpBackend::new(
        &format!("smtp://mailer:hunter2@127.0.0.1:{port}"),
        Duration::from_secs(2),
    )
    .unwrap();
    let started = Instant::now();
    let err = Mailer::new(backend, "noreply@example.com")
        .send(&Email::new("jane@example.com", "Hi", "Hello"))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(err, EmailError::Transport { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("smtp_url") && !text.contains("hunter2"),
        "{text}"
    );
}

/// The fixture server's URL (no credentials) and folder, or `None` with a note.
fn smtp_server(test: &str) -> Option<(url::Url, PathBuf)> {
    match (
        std::env::var("AKSARA_TEST_SMTP_URL"),
        std::env::var("AKSARA_TEST_SMTP_DIR"),
    ) {
        (Ok(url), Ok(dir)) => Some((
            url::Url::parse(&url)
                .expect("AKSARA_TEST_SMTP_URL is a URL such as smtp://127.0.0.1:2525"),
            PathBuf::from(dir),
        )),
        _ => {
            println!(
                "note: {test} skipped: set AKSARA_TEST_SMTP_URL (smtp://127.0.0.1:2525) and \
                 AKSARA_TEST_SMTP_DIR to the folder of tests/fixtures/smtp_server.py (.ci/run does)"
            );
            None
        }
    }
}

/// The fixture's record of the message whose subject is `subject`, waiting
/// for it a few seconds.
fn received(dir: &Path, subject: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "json") {
                let record: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                if record["data"].as_str().unwrap().contains(subject) {
                    return record;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "the server received no message {subject}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn smtp_delivers_a_plain_and_html_message_to_a_real_server() {
    let Some((url, dir)) = smtp_server("smtp_delivers_a_plain_and_html_message_to_a_real_server")
    else {
        return;
    };
    let subject = format!("Plain {}", uuid::Uuid::new_v4());
    let mailer = Mailer::new(
        SmtpBackend::new(url.as_str(), Duration::from_secs(10)).unwrap(),
        "Blog <noreply@example.com>",
    );
    mailer
        .send(&Email::new("jane@example.com", &subject, "Plain body").with_html("<p>HTML body</p>"))
        .await
        .unwrap();
    let record = received(&dir, &subject);
    assert_eq!(record["mail_from"], "noreply@example.com");
    assert_eq!(record["rcpt_tos"], serde_json::json!(["jane@example.com"]));
    assert_eq!(record["login"], serde_json::Value::Null);
    let (headers, body) = parse_message(record["data"].as_str().unwrap());
    assert_eq!(header(&headers, "Subject"), Some(subject.as_str()));
    assert!(
        header(&headers, "Content-Type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    assert!(
        body.contains("Plain body") && body.contains("<p>HTML body</p>"),
        "{body}"
    );
}

#[tokio::test]
async fn smtp_logs_in_with_the_urls_credentials() {
    let Some((mut url, dir)) = smtp_server("smtp_logs_in_with_the_urls_credentials") else {
        return;
    };
    // The fixture's account; the password needs percent-encoding in the URL.
    url.set_username("mailer").unwrap();
    url.set_password(Some("p@ss word")).unwrap();
    let subject = format!("Auth {}", uuid::Uuid::new_v4());
    let backend = SmtpBackend::new(url.as_str(), Duration::from_secs(10)).unwrap();
    assert!(!format!("{backend:?}").contains("p@ss"), "{backend:?}");
    Mailer::new(backend, "noreply@example.com")
        .send(&Email::new("jane@example.com", &subject, "Hello"))
        .await
        .unwrap();
    assert_eq!(received(&dir, &subject)["login"], "mailer");

    url.set_password(Some("wrong-password")).unwrap();
    let err = Mailer::new(
        SmtpBackend::new(url.as_str(), Duration::from_secs(10)).unwrap(),
        "noreply@example.com",
    )
    .send(&Email::new("jane@example.com", "Refused", "Hello"))
    .await
    .unwrap_err();
    assert!(matches!(err, EmailError::Transport { .. }), "{err}");
    assert!(!err.to_string().contains("wrong-password"), "{err}");
}

#[tokio::test]
async fn smtp_starttls_delivers_to_a_server_whose_ca_is_trusted_and_only_then() {
    let test = "smtp_starttls_delivers_to_a_server_whose_ca_is_trusted_and_only_then";
    let Some((_, dir)) = smtp_server(test) else {
        return;
    };
    let (Ok(url), Ok(ca)) = (
        std::env::var("AKSARA_TEST_SMTP_STARTTLS_URL"),
        std::env::var("AKSARA_TEST_SMTP_CA"),
    ) else {
        println!(
            "note: {test} skipped: set AKSARA_TEST_SMTP_STARTTLS_URL \
             (smtp://127.0.0.1:2526?tls=required) and AKSARA_TEST_SMTP_CA (.ci/run does)"
        );
        return;
    };
    let mut url = url::Url::parse(&url).expect("AKSARA_TEST_SMTP_STARTTLS_URL is a URL");
    url.set_username("mailer").unwrap();
    url.set_password(Some("p@ss word")).unwrap();
    let pem = std::fs::read(&ca).expect("AKSARA_TEST_SMTP_CA is a readable PEM file");

    let subject = format!("STARTTLS {}", uuid::Uuid::new_v4());
    let backend =
        SmtpBackend::with_root_certificate(url.as_str(), Duration::from_secs(10), &pem).unwrap();
    Mailer::new(backend, "noreply@example.com")
        .send(&Email::new("jane@example.com", &subject, "Over TLS"))
        .await
        .unwrap();
    let record = received(&dir, &subject);
    assert_eq!(record["tls"], true);
    assert_eq!(record["login"], "mailer");

    // Without the CA the certificate is refused: no message, a transport error.
    let err = Mailer::new(
        SmtpBackend::new(url.as_str(), Duration::from_secs(10)).unwrap(),
        "noreply@example.com",
    )
    .send(&Email::new("jane@example.com", "Untrusted", "Hello"))
    .await
    .unwrap_err();
    assert!(matches!(err, EmailError::Transport { .. }), "{err}");
    assert!(!err.to_string().contains("p@ss"), "{err}");
}
