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
//!
//! The queue is bounded, because a hash is the most expensive thing a client
//! can make the server do: [`QUEUE_PER_THREAD`] jobs per thread (about a second
//! of work at the default parameters). A full queue refuses a new job at once
//! ([`PasswordError::Busy`], a `503` with `Retry-After`) instead of making every
//! later login wait. A job whose requester has gone (the client closed the
//! connection, the request future was dropped) is skipped, and so is one that
//! waited longer than [`DEADLINE`]: measured before this, a 10 s flood of
//! abandoned logins kept both cores hashing for 152 s afterwards.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::PasswordError;

/// The nice value of the hashing threads (0 is normal, 19 the lowest priority).
pub(crate) const HASH_NICE: i32 = 10;

/// Jobs that may wait per hashing thread before new ones are refused.
pub(crate) const QUEUE_PER_THREAD: usize = 32;
/// A job that waited this long is not run: its client has most likely given up.
pub(crate) const DEADLINE: Duration = Duration::from_secs(5);

type Job = Box<dyn FnOnce() + Send>;

/// The queue into the hashing threads, or why they could not start.
fn queue() -> Result<&'static SyncSender<Job>, PasswordError> {
    static QUEUE: OnceLock<Result<SyncSender<Job>, String>> = OnceLock::new();
    QUEUE
        .get_or_init(|| start_threads(threads() * QUEUE_PER_THREAD))
        .as_ref()
        .map_err(|reason| PasswordError::Join(reason.clone()))
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Starts one hashing thread per CPU behind a queue of `capacity` jobs; they
/// stop when the returned sender is dropped.
fn start_threads(capacity: usize) -> Result<SyncSender<Job>, String> {
    let threads = threads();
    let (sender, receiver) = sync_channel::<Job>(capacity);
    let receiver = Arc::new(Mutex::new(receiver));
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
///
/// Dropping the returned future before the job started means the job never runs.
pub(crate) async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    run_on(queue()?, work).await
}

async fn run_on<T: Send + 'static>(
    queue: &SyncSender<Job>,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let (reply, result) = tokio::sync::oneshot::channel();
    let queued = Instant::now();
    let job: Job = Box::new(move || {
        if reply.is_closed() {
            tracing::debug!(target: "aksara_auth::password", "hashing job skipped: its request has gone");
            return;
        }
        if queued.elapsed() > DEADLINE {
            let _ = reply.send(Err(PasswordError::Busy(
                "the password check waited past its deadline",
            )));
            return;
        }
        let _ = reply.send(Ok(work()));
    });
    match queue.try_send(job) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            return Err(PasswordError::Busy("the hashing queue is full"));
        }
        Err(TrySendError::Disconnected(_)) => {
            return Err(PasswordError::Join(
                "the password hashing threads have stopped".into(),
            ));
        }
    }
    result
        .await
        .map_err(|_| PasswordError::Join("password hashing panicked".into()))?
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
        for _ in 0..=threads() {
            let failed = run(|| -> u8 { panic!("job failure on purpose") }).await;
            assert!(matches!(failed, Err(PasswordError::Join(_))));
        }
        assert_eq!(run(|| 1).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_abandoned_jobs_never_run() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // A pool of its own, so other tests' hashes neither fill nor see it.
        let capacity = threads() * QUEUE_PER_THREAD;
        let queue: &'static SyncSender<Job> = Box::leak(Box::new(start_threads(capacity).unwrap()));
        // Occupy every thread until released.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let held = Arc::new(Mutex::new(held));
        let busy: Vec<_> = (0..threads())
            .map(|_| {
                let held = Arc::clone(&held);
                tokio::spawn(run_on(queue, move || {
                    let _ = held.lock().unwrap().recv();
                }))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Fill the queue with jobs whose requesters give up at once.
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..capacity {
            let ran = Arc::clone(&ran);
            let abandoned = run_on(queue, move || {
                ran.fetch_add(1, Ordering::SeqCst);
            });
            // Polled once (queued), then dropped: the client went away.
            let _ = tokio::time::timeout(Duration::from_millis(1), abandoned).await;
        }
        let started = Instant::now();
        let refused = run_on(queue, || ()).await;
        assert!(
            matches!(refused, Err(PasswordError::Busy(_))),
            "{refused:?}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "refused at once"
        );
        for _ in 0..threads() {
            release.send(()).unwrap();
        }
        for task in busy {
            task.await.unwrap().unwrap();
        }
        // The abandoned jobs were skipped; a real one runs promptly after them.
        let started = Instant::now();
        assert_eq!(run_on(queue, || 7).await.unwrap(), 7);
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(ran.load(Ordering::SeqCst), 0, "abandoned jobs must not run");
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
