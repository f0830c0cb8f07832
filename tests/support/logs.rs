//! Reading what the code under test logged through `tracing`.

use std::sync::{Arc, Mutex};

thread_local! {
    /// What this thread logged since [`capture_logs`].
    static LOG: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Appends to this thread's [`LOG`].
struct ThreadLog;

impl std::io::Write for ThreadLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.with(|log| log.borrow_mut().extend_from_slice(bytes));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts keeping what the current thread logs at `debug` and above (a
/// current-thread runtime's tasks all run on it). One global subscriber for
/// the binary: per-thread subscribers miss events whose callsite another test's
/// thread reached first.
pub fn capture_logs() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadLog)
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
    LOG.with(|log| log.borrow_mut().clear());
}

/// What the current thread logged since [`capture_logs`].
pub fn captured_logs() -> String {
    LOG.with(|log| String::from_utf8_lossy(&log.borrow()).into_owned())
}

/// A shared buffer that a scoped `tracing` subscriber writes its lines into
/// (`tracing_subscriber::fmt().with_writer(move || logs.clone())`).
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
