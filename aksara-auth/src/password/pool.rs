//! The threads that hash passwords: one per CPU, started on first use, each at a
//! lower scheduling priority than the rest of the process.
//!
//! Why not Tokio's blocking pool behind a semaphore: measured on 2 cores
//! (`cargo bench -p aksara-auth --bench login_latency`), a flood of logins there
//! raised the p99 of a trivial request from ~0.2 ms to ~4.5 ms, because the
//! hashing threads and the runtime's workers share the CPUs as equals and a woken
//! worker waits for a hash's time slice to end. On threads of their own the hashes
//! can run at a lower priority (nice [`HASH_NICE`] on Linux) without touching
//! threads that other blocking work uses, and the kernel then runs a woken runtime
//! worker at once. Logins still get every idle cycle, so their throughput is the
//! same when nothing else runs; under full load they queue, which is what a flood
//! of logins should do.
//!
//! Jobs wait in one queue; as many run at a time as there are threads
//! ([`std::thread::available_parallelism`]), so concurrency is bounded like a
//! semaphore would bound it. Each thread keeps its argon2 memory between jobs
//! (see `argon2_into`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use super::PasswordError;

/// The nice value of the hashing threads (0 is normal, 19 the lowest priority).
pub(crate) const HASH_NICE: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// The queue into the hashing threads, or why they could not start.
fn queue() -> Result<&'static Sender<Job>, PasswordError> {
    static QUEUE: OnceLock<Result<Sender<Job>, String>> = OnceLock::new();
    QUEUE
        .get_or_init(start_threads)
        .as_ref()
        .map_err(|reason| PasswordError::Join(reason.clone()))
}

fn start_threads() -> Result<Sender<Job>, String> {
    let (sender, receiver) = channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    for index in 0..threads {
        let receiver = Arc::clone(&receiver);
        std::thread::Builder::new()
            .name(format!("aksara-hash-{index}"))
            .spawn(move || work(&receiver))
            .map_err(|error| format!("could not start a password hashing thread: {error}"))?;
    }
    tracing::debug!(
        threads,
        nice = HASH_NICE,
        "password hashing threads started"
    );
    Ok(sender)
}

/// One hashing thread: lower its priority, then run jobs until the process ends.
fn work(receiver: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        // The lock is held only while waiting for the next job, not while running it.
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = job else { return };
        // A panicking job drops its reply sender, which its caller sees as an
        // error; the thread itself stays available.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux the nice value belongs to the thread, so this leaves the rest of
    // the process alone.
    let thread = rustix::thread::gettid();
    if let Err(error) = rustix::process::setpriority_process(Some(thread), HASH_NICE) {
        tracing::debug!(%error, "could not lower the priority of a password hashing thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// Runs `work` on a hashing thread and waits for its result without blocking the
/// async runtime. Works from any executor (the reply is a oneshot channel).
pub(crate) async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let (reply, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = reply.send(work());
    });
    queue()?
        .send(job)
        .map_err(|_| PasswordError::Join("the password hashing threads have stopped".into()))?;
    result
        .await
        .map_err(|_| PasswordError::Join("password hashing panicked".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_off_the_calling_thread_and_returns_its_result() {
        let caller = std::thread::current().id();
        let (value, worker) = run(|| (6 * 7, std::thread::current())).await.unwrap();
        assert_eq!(value, 42);
        assert_ne!(worker.id(), caller);
        assert!(worker.name().unwrap().starts_with("aksara-hash-"));
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_threads_keep_working() {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        for _ in 0..=threads {
            let failed = run(|| -> u8 { panic!("job failure on purpose") }).await;
            assert!(matches!(failed, Err(PasswordError::Join(_))));
        }
        assert_eq!(run(|| 1).await.unwrap(), 1);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_the_lower_priority() {
        let nice = run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(nice, HASH_NICE);
    }
}
