//! [`FileBackend`]: one `.eml` file per message in a folder.

use std::fs;
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Email, EmailBackend, EmailError, message};

/// Writes each message, formatted as RFC 5322 (what an SMTP server would
/// receive), to a file of its own, `<timestamp>-<random>.eml`, in a folder it
/// creates when needed. Mail programs open `.eml` files; so does a test.
///
/// ```
/// use aksara_auth::email::{Email, EmailBackend, FileBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir().join(format!("aksara-mail-doc-{}", std::process::id()));
/// let backend = FileBackend::new(&dir);
/// backend.send("noreply@example.com", &Email::new("jane@example.com", "Hi", "Hello")).await?;
/// let files: Vec<_> = std::fs::read_dir(&dir)?.collect::<Result<_, _>>()?;
/// assert_eq!(files.len(), 1);
/// assert!(std::fs::read_to_string(files[0].path())?.contains("Subject: Hi"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FileBackend {
    dir: PathBuf,
}

impl FileBackend {
    /// Messages go to files in `dir` (created on the first message).
    ///
    /// ```
    /// let backend = aksara_auth::email::FileBackend::new("mail");
    /// assert_eq!(backend.dir(), std::path::Path::new("mail"));
    /// ```
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder the files are written to.
    ///
    /// ```
    /// # let backend = aksara_auth::email::FileBackend::new("mail");
    /// assert!(backend.dir().ends_with("mail"));
    /// ```
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Makes names unique within the process even if the random source fails.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// `<timestamp>-<random>.eml`: sorts by time, never collides in practice.
fn file_name() -> String {
    let random = getrandom::u64().unwrap_or_else(|_| u64::from(std::process::id()) << 32)
        ^ SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}-{random:016x}.eml",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ")
    )
}

/// Writes `contents` to a new file in `dir`, never over an existing one.
fn write_new(dir: &Path, contents: &[u8]) -> Result<PathBuf, EmailError> {
    let failed = |target: &Path, source| EmailError::Io {
        target: target.display().to_string(),
        source,
    };
    fs::create_dir_all(dir).map_err(|source| failed(dir, source))?;
    let mut last = None;
    for _ in 0..5 {
        let path = dir.join(file_name());
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                file.write_all(contents)
                    .and_then(|()| file.sync_all())
                    .map_err(|source| failed(&path, source))?;
                return Ok(path);
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last = Some(err),
            Err(err) => return Err(failed(&path, err)),
        }
    }
    Err(failed(
        dir,
        last.unwrap_or_else(|| io::Error::other("no free file name")),
    ))
}

impl EmailBackend for FileBackend {
    fn send<'a>(
        &'a self,
        from: &'a str,
        email: &'a Email,
    ) -> Pin<Box<dyn Future<Output = Result<(), EmailError>> + Send + 'a>> {
        Box::pin(async move {
            let formatted = message::build(from, email)?.formatted();
            let dir = self.dir.clone();
            tokio::task::spawn_blocking(move || write_new(&dir, &formatted))
                .await
                .map_err(|join| EmailError::Io {
                    target: self.dir.display().to_string(),
                    source: io::Error::other(join.to_string()),
                })??;
            Ok(())
        })
    }
}
