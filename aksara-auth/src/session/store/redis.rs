//! [`RedisStore`]: sessions in Redis (feature `redis`), for apps served by several
//! processes or machines.
//!
//! Each session is one hash, `<prefix><key>`: a field `d:<name>` per value (its
//! JSON text) and a field `m` with the times it was created, last seen and
//! expires, in milliseconds since the epoch, as `created:seen:expires` (one field
//! rather than three: every request with a session reads the whole hash, and each
//! field is two more strings to parse). The hash expires by itself
//! (`PEXPIREAT`), so there is nothing to purge; a load that still finds a hash
//! past its expiry (this machine's clock ahead of Redis's) deletes it. A save runs
//! as one Lua script: if the hash still exists, `HSET` the set keys, `HDEL` the
//! removed ones (both in chunks of a few hundred arguments: Lua's `unpack` fails
//! past about 8,000) and move the expiry; concurrent requests writing different
//! keys therefore merge, and a session deleted meanwhile is not brought back by a
//! late write.
//!
//! Loads, one per request with a session cookie, are pipelined: the loads that
//! requests ask for while the runtime has other work ready go to Redis together,
//! as one write and one read (see [`LoadQueue`]).

use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde_json::{Map, Value};
use tokio::sync::oneshot;

use super::{SessionChange, SessionRecord, SessionStore, SessionUpdate, StoreFuture};
use crate::session::SessionKey;
use crate::session::error::SessionStoreError;

const META: &str = "m";
const DATA_PREFIX: &str = "d:";

/// How many arguments one `HSET` or `HDEL` inside a script gets at most. Lua's
/// `unpack` cannot return more than about 8,000 values ("too many results to
/// unpack"), so a save that changes thousands of keys goes in chunks of this many
/// (even, so a chunk of `HSET` arguments never splits a field from its value).
const SCRIPT_CHUNK: usize = 400;

/// KEYS[1] = the hash; ARGV = expiry (ms), n, then n field/value pairs, then the
/// fields to delete. The sets and deletes go in chunks of [`SCRIPT_CHUNK`]
/// arguments, still inside the one script, so the save stays atomic.
static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local chunk = {SCRIPT_CHUNK}
local last_set = 2 + 2 * tonumber(ARGV[2])
for first = 3, last_set, chunk do
  redis.call('HSET', KEYS[1], unpack(ARGV, first, math.min(first + chunk - 1, last_set)))
end
for first = last_set + 1, #ARGV, chunk do
  redis.call('HDEL', KEYS[1], unpack(ARGV, first, math.min(first + chunk - 1, #ARGV)))
end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
"
    ))
});

/// KEYS[1] = the hash; ARGV[1] = its `m` field as a load read it, past its expiry.
/// Deletes the hash only if that field is unchanged: a save that moved the expiry
/// meanwhile (another process, whose clock is behind) keeps its session.
static DELETE_EXPIRED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"
if redis.call('HGET', KEYS[1], '{META}') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"
    ))
});

/// KEYS[1] = the old hash, KEYS[2] = the new one.
static CYCLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
return 1
",
    )
});

/// Sessions in Redis (or Valkey), shared by every process of the app: one hash per
/// session, expired by Redis itself. Needs the `redis` feature of `aksara-auth`.
///
/// The connection is made on first use and remade after a failure; while Redis is
/// unreachable requests with a session cookie get a 503.
///
/// ```no_run
/// use aksara_auth::session::{RedisStore, SessionLayer};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::new("redis://127.0.0.1:6379")?.key_prefix("myapp:session:");
/// let layer = SessionLayer::new(store);
/// # Ok(()) }
/// ```
///
/// Under load, the loads of concurrent requests share one round trip to Redis
/// (automatic pipelining, as ioredis's `enableAutoPipelining` does): a load waits
/// until the runtime has run the other tasks that were ready, then every load
/// asked for meanwhile is sent as one pipeline. A lone request pays one task
/// switch for it; under load each request is spared its own socket write and
/// read, which cost more than the rest of the request.
///
/// Even pipelined, a load costs the server about as much as answering a small
/// HTTP request (about a quarter of that is the `redis` crate parsing the reply): a
/// session-authenticated request through this store serves about half as many
/// requests per second as a bare handler (`BENCHMARKS.md`). Where a second of
/// staleness between processes is acceptable (see [`CachedStore`]), a
/// `CachedStore::new(store, Duration::seconds(1))` in front brings that to
/// about 0.7.
///
/// ## Redis Cluster is not supported
///
/// Use one Redis primary (with replicas and Sentinel, or a managed service's
/// failover, for availability). A Cluster would fail in two places:
///
/// - The store talks to one server through a single-node client, which does not
///   follow a Cluster's `MOVED` redirections: the keys on the other shards would
///   answer with errors (503s).
/// - Cycling the session id at login renames the old hash to the new one in one
///   script, so that no write or logout lands in between. A Cluster runs a script,
///   like `RENAME`, only on keys of one hash slot, and the old and new keys are
///   two independent random hashes. A hash tag (`{…}`) cannot help: the tagged
///   part would have to be the same in both keys, so it could not be the session
///   id. A copy then a delete outside a script would be two steps, between which
///   a concurrent logout of the old session would be undone by the copy.
///
/// [`CachedStore`]: super::CachedStore
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: Arc<str>,
    loads: Arc<LoadQueue>,
    /// The runtime the store was made in, which runs the load flushes.
    runtime: tokio::runtime::Handle,
}

/// The session hashes requests are waiting to load, sent to Redis together.
///
/// Why: the `redis` crate's multiplexed connection writes each command as soon as
/// its driver task runs, and Tokio runs a task woken by another right after it,
/// so under load every request made its own `writev` and `recv` on the Redis
/// socket (about as costly as serving the HTTP request itself). Here the first
/// load of a batch spawns a flush that first yields, and Tokio usually runs a
/// yielded task only after the worker's other ready tasks (it also does at its
/// periodic maintenance): the loads of the requests served in the meantime join
/// the batch.
#[derive(Default)]
struct LoadQueue {
    waiting: Mutex<Vec<WaitingLoad>>,
    /// The most loads one flush sent, for the tests.
    #[cfg(test)]
    largest_batch: std::sync::atomic::AtomicUsize,
}

/// A session hash's fields and values, as `HGETALL` gives them.
type Fields = Vec<(String, String)>;

/// One request's load: the hash, and where its fields go.
struct WaitingLoad {
    hash: String,
    reply: oneshot::Sender<Result<Fields, SessionStoreError>>,
}

impl LoadQueue {
    /// Queues a load of `hash`; true when it is the first of a new batch, whose
    /// caller must start the flush.
    fn push(&self, load: WaitingLoad) -> bool {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.push(load);
        waiting.len() == 1
    }

    fn take(&self) -> Vec<WaitingLoad> {
        std::mem::take(&mut *self.waiting.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl std::fmt::Debug for RedisStore {
    // The connection holds the URL, which may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store for the Redis at `url` (`redis://[:password@]host[:port][/db]`,
    /// `rediss://` needs a TLS feature of the `redis` crate), keys prefixed
    /// `aksara:session:`. Must be called inside a Tokio runtime. Connects lazily:
    /// an unreachable server is reported by the first request, not here.
    ///
    /// # Errors
    /// [`SessionStoreError::Unavailable`] for a malformed URL, or when called
    /// outside a Tokio runtime.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), aksara_auth::session::SessionStoreError> {
    /// let store = aksara_auth::session::RedisStore::new("redis://127.0.0.1:6379")?;
    /// # Ok(()) }
    /// ```
    pub fn new(url: &str) -> Result<Self, SessionStoreError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            SessionStoreError::unavailable(
                "RedisStore::new must be called inside a Tokio runtime (in `async` code under #[tokio::main])",
            )
        })?;
        let client = redis::Client::open(url).map_err(SessionStoreError::unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(StdDuration::from_secs(2)))
            .set_response_timeout(Some(StdDuration::from_secs(2)))
            .set_number_of_retries(2)
            .set_min_delay(StdDuration::from_millis(50));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(SessionStoreError::unavailable)?;
        Ok(Self {
            connection,
            prefix: Arc::from("aksara:session:"),
            loads: Arc::default(),
            runtime,
        })
    }

    /// Prefixes every key with `prefix` (default `aksara:session:`), to share a
    /// Redis between apps.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), aksara_auth::session::SessionStoreError> {
    /// let store = aksara_auth::session::RedisStore::new("redis://127.0.0.1")?.key_prefix("shop:s:");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Arc::from(prefix.into());
        self
    }

    fn hash(&self, key: &SessionKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    /// The fields of `hash` (none when it does not exist), loaded in a pipeline
    /// with the other loads asked for meanwhile.
    async fn load_fields(&self, hash: String) -> Result<Fields, SessionStoreError> {
        let (reply, fields) = oneshot::channel();
        if self.loads.push(WaitingLoad { hash, reply }) {
            // A task of its own, so that a request cancelled while waiting (its
            // client went away) does not take the other requests' loads with it.
            let store = self.clone();
            self.runtime.spawn(async move {
                tokio::task::yield_now().await;
                store.flush_loads().await;
            });
        }
        fields.await.map_err(|_| {
            SessionStoreError::unavailable("the Redis session load was dropped before it finished")
        })?
    }

    /// Deletes the expired session a load found (`fields` as it read them), unless
    /// a save moved its expiry meanwhile.
    async fn delete_expired(
        &self,
        key: &SessionKey,
        fields: &Fields,
    ) -> Result<(), SessionStoreError> {
        let meta = fields
            .iter()
            .find_map(|(field, value)| (field == META).then_some(value.as_str()))
            .unwrap_or_default();
        let mut invocation = DELETE_EXPIRED.key(self.hash(key));
        invocation.arg(meta);
        let mut connection = self.connection.clone();
        let deleted: i64 = invocation
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        tracing::debug!(target: "aksara_auth::session", deleted, "expired session found at load; deleted");
        Ok(())
    }

    /// Sends every waiting load as one pipeline and hands each its answer.
    async fn flush_loads(&self) {
        let batch = self.loads.take();
        #[cfg(test)]
        self.loads
            .largest_batch
            .fetch_max(batch.len(), std::sync::atomic::Ordering::Relaxed);
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for load in &batch {
            pipe.cmd("HGETALL").arg(&load.hash);
        }
        let mut connection = self.connection.clone();
        // Raw values, converted one by one: a hash that does not read back fails
        // only the request that asked for it.
        let answers: redis::RedisResult<Vec<redis::Value>> =
            pipe.query_async(&mut connection).await;
        match answers {
            Ok(answers) if answers.len() == batch.len() => {
                tracing::trace!(target: "aksara_auth::session", loads = batch.len(), "loaded sessions from Redis");
                for (load, answer) in batch.into_iter().zip(answers) {
                    // A request that went away no longer waits for its answer.
                    let _ = load.reply.send(fields_of(answer));
                }
            }
            Ok(answers) => {
                let message = format!(
                    "Redis answered {} of {} pipelined session loads",
                    answers.len(),
                    batch.len()
                );
                fail_all(batch, &message);
            }
            Err(err) => fail_all(batch, &err.to_string()),
        }
    }
}

/// One `HGETALL` answer as fields. A key holding something other than a hash,
/// or a hash whose fields are not text, is a corrupt session (the request is
/// anonymous); any other error means Redis cannot answer (503).
fn fields_of(answer: redis::Value) -> Result<Fields, SessionStoreError> {
    match answer {
        redis::Value::ServerError(error) if error.code() == "WRONGTYPE" => {
            Err(SessionStoreError::Corrupt(error.to_string()))
        }
        redis::Value::ServerError(error) => Err(unavailable(error.into())),
        value => redis::from_redis_value(value)
            .map_err(|err| SessionStoreError::Corrupt(err.to_string())),
    }
}

/// Answers every load of `batch` with the same failure.
fn fail_all(batch: Vec<WaitingLoad>, message: &str) {
    for load in batch {
        // The error is not `Clone`; each request gets its message.
        let _ = load
            .reply
            .send(Err(SessionStoreError::unavailable(message.to_owned())));
    }
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The `m` field: `created:seen:expires` in milliseconds.
fn meta(created_at: DateTime<Utc>, last_seen: DateTime<Utc>, expires_at: DateTime<Utc>) -> String {
    format!(
        "{}:{}:{}",
        millis(created_at),
        millis(last_seen),
        millis(expires_at)
    )
}

/// An empty record with the times of the hash's `m` field.
fn record_from_meta(fields: &[(String, String)]) -> Result<SessionRecord, SessionStoreError> {
    let corrupt =
        || SessionStoreError::Corrupt(format!("the session hash lacks a valid `{META}` field"));
    let text = fields
        .iter()
        .find_map(|(field, value)| (field == META).then_some(value))
        .ok_or_else(corrupt)?;
    let mut times = text.split(':').map(|part| {
        part.parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
    });
    let (Some(Some(created_at)), Some(Some(last_seen)), Some(Some(expires_at)), None) =
        (times.next(), times.next(), times.next(), times.next())
    else {
        return Err(corrupt());
    };
    let mut record = SessionRecord::new(created_at, expires_at);
    record.last_seen = last_seen;
    Ok(record)
}

fn unavailable(err: redis::RedisError) -> SessionStoreError {
    SessionStoreError::unavailable(err)
}

impl SessionStore for RedisStore {
    fn load<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, Option<SessionRecord>> {
        Box::pin(async move {
            let fields = self.load_fields(self.hash(key)).await?;
            if fields.is_empty() {
                return Ok(None);
            }
            let mut record = record_from_meta(&fields)?;
            if record.expires_at <= Utc::now() {
                // Redis expires the hash at the same time by its own clock; this
                // one is ahead of it.
                self.delete_expired(key, &fields).await?;
                return Ok(None);
            }
            let mut data = Map::new();
            for (field, text) in &fields {
                if let Some(name) = field.strip_prefix(DATA_PREFIX) {
                    let value: Value = serde_json::from_str(text)
                        .map_err(|err| SessionStoreError::Corrupt(err.to_string()))?;
                    data.insert(name.to_owned(), value);
                }
            }
            record.data = data;
            Ok(Some(record))
        })
    }

    fn create<'a>(&'a self, key: &'a SessionKey, record: &'a SessionRecord) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let hash = self.hash(key);
            let mut hset = redis::cmd("HSET");
            hset.arg(&hash).arg(META).arg(meta(
                record.created_at,
                record.last_seen,
                record.expires_at,
            ));
            for (name, value) in &record.data {
                hset.arg(format!("{DATA_PREFIX}{name}"))
                    .arg(value.to_string());
            }
            let mut pipe = redis::pipe();
            pipe.atomic()
                .add_command(hset)
                .ignore()
                .cmd("PEXPIREAT")
                .arg(&hash)
                .arg(millis(record.expires_at))
                .ignore();
            let mut connection = self.connection.clone();
            pipe.query_async::<()>(&mut connection)
                .await
                .map_err(unavailable)
        })
    }

    fn save<'a>(&'a self, key: &'a SessionKey, update: &'a SessionUpdate) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut sets = vec![(
                META.to_owned(),
                meta(update.created_at, update.last_seen, update.expires_at),
            )];
            let mut removed = Vec::new();
            for (name, change) in &update.changes {
                let field = format!("{DATA_PREFIX}{name}");
                match change {
                    SessionChange::Set(value) => sets.push((field, value.to_string())),
                    SessionChange::Removed => removed.push(field),
                }
            }
            let mut invocation = SAVE.key(self.hash(key));
            invocation.arg(millis(update.expires_at)).arg(sets.len());
            for (field, value) in &sets {
                invocation.arg(field).arg(value);
            }
            for field in &removed {
                invocation.arg(field);
            }
            let mut connection = self.connection.clone();
            let found: i64 = invocation
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(found == 1)
        })
    }

    fn cycle<'a>(&'a self, old: &'a SessionKey, new: &'a SessionKey) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut invocation = CYCLE.key(self.hash(old));
            invocation.key(self.hash(new));
            let mut connection = self.connection.clone();
            let moved: i64 = invocation
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            Ok(moved == 1)
        })
    }

    fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            redis::cmd("DEL")
                .arg(self.hash(key))
                .query_async::<()>(&mut connection)
                .await
                .map_err(unavailable)
        })
    }

    fn purge_expired(&self, _now: DateTime<Utc>) -> StoreFuture<'_, u64> {
        // Redis deletes each hash at its PEXPIREAT time.
        Box::pin(async { Ok(0) })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::task::{Context, Waker};

    use super::*;
    use crate::session::id::SessionId;

    /// A store on the test Redis (`AKSARA_TEST_REDIS_URL`), keys under a prefix of
    /// its own; `None` when no Redis is configured.
    fn test_store(name: &str) -> Option<RedisStore> {
        let url = std::env::var("AKSARA_TEST_REDIS_URL").ok()?;
        let prefix = format!("aksara_unit:{}:{name}:", std::process::id());
        Some(RedisStore::new(&url).unwrap().key_prefix(prefix))
    }

    async fn command(store: &RedisStore, args: &[&[u8]]) {
        let mut command = redis::cmd(std::str::from_utf8(args[0]).unwrap());
        for arg in &args[1..] {
            command.arg(*arg);
        }
        let mut connection = store.connection.clone();
        command.query_async::<()>(&mut connection).await.unwrap();
    }

    async fn stored(store: &RedisStore, user: u64) -> SessionKey {
        let key = SessionId::generate().key().clone();
        let now = Utc::now();
        let mut record = SessionRecord::new(now, now + chrono::Duration::hours(1));
        record.data.insert("user".into(), user.into());
        store.create(&key, &record).await.unwrap();
        key
    }

    #[tokio::test]
    async fn one_pipeline_answers_each_load_with_its_own_session_or_error() {
        let Some(store) = test_store("batch") else {
            return;
        };
        let mut keys = Vec::new();
        for user in 0..20 {
            keys.push(stored(&store, user).await);
        }
        // A key that holds a string, a hash from before the `m` field, and one
        // whose field is not UTF-8: each is its own request's corrupt session.
        let wrong_type = stored(&store, 100).await;
        command(&store, &[b"DEL", store.hash(&wrong_type).as_bytes()]).await;
        command(&store, &[b"SET", store.hash(&wrong_type).as_bytes(), b"x"]).await;
        let old_format = SessionId::generate().key().clone();
        let old_hash = store.hash(&old_format);
        command(
            &store,
            &[
                b"HSET",
                old_hash.as_bytes(),
                b"m:created",
                b"1",
                b"d:user",
                b"1",
            ],
        )
        .await;
        let not_text = SessionId::generate().key().clone();
        let not_text_hash = store.hash(&not_text);
        command(
            &store,
            &[b"HSET", not_text_hash.as_bytes(), b"m", b"\xff\xfe"],
        )
        .await;
        let missing = SessionId::generate().key().clone();

        let good = futures_util::future::join_all(keys.iter().map(|key| store.load(key)));
        let bad = futures_util::future::join_all(
            [&wrong_type, &old_format, &not_text].map(|key| store.load(key)),
        );
        let (good, bad, missing) = tokio::join!(good, bad, store.load(&missing));
        for (user, loaded) in good.into_iter().enumerate() {
            let record = loaded.unwrap().expect("a stored session");
            assert_eq!(record.data["user"], user as u64);
        }
        for loaded in bad {
            assert!(
                matches!(loaded, Err(SessionStoreError::Corrupt(_))),
                "{loaded:?}"
            );
        }
        assert!(missing.unwrap().is_none());
        assert!(store.loads.largest_batch.load(Ordering::Relaxed) > 20);
        for hash in [store.hash(&wrong_type), old_hash, not_text_hash] {
            command(&store, &[b"DEL", hash.as_bytes()]).await;
        }
    }

    async fn exists(store: &RedisStore, key: &SessionKey) -> bool {
        let mut connection = store.connection.clone();
        let found: i64 = redis::cmd("EXISTS")
            .arg(store.hash(key))
            .query_async(&mut connection)
            .await
            .unwrap();
        found == 1
    }

    /// Issue 13.6: the save script `unpack`ed all its arguments at once, and a
    /// request changing about 4,000 keys got "too many results to unpack" (a 503).
    #[tokio::test]
    async fn a_save_changing_ten_thousand_keys_lands_and_reads_back() {
        let Some(store) = test_store("many_keys") else {
            return;
        };
        let key = SessionId::generate().key().clone();
        let now = Utc::now();
        let expires = now + chrono::Duration::hours(1);
        let mut record = SessionRecord::new(now, expires);
        for i in 0..6_000 {
            record.data.insert(format!("old{i}"), i.into());
        }
        store.create(&key, &record).await.unwrap();

        let mut update = SessionUpdate::new(now, Utc::now(), expires);
        for i in 0..10_000 {
            update.changes.insert(
                format!("new{i}"),
                SessionChange::Set(format!("value {i}").into()),
            );
        }
        for i in 0..5_999 {
            update
                .changes
                .insert(format!("old{i}"), SessionChange::Removed);
        }
        assert!(store.save(&key, &update).await.unwrap());

        let loaded = store.load(&key).await.unwrap().expect("the saved session");
        assert_eq!(loaded.data.len(), 10_001);
        assert_eq!(loaded.data["new0"], "value 0");
        assert_eq!(loaded.data["new9999"], "value 9999");
        assert_eq!(loaded.data["old5999"], 5_999);
        assert_eq!(
            loaded.expires_at.timestamp_millis(),
            expires.timestamp_millis()
        );
        store.delete(&key).await.unwrap();
    }

    /// Redis deletes a hash at its expiry by its own clock; a load on a machine
    /// whose clock is ahead still finds it, and deletes it.
    #[tokio::test]
    async fn an_expired_session_found_at_load_is_deleted() {
        let Some(store) = test_store("expired") else {
            return;
        };
        let now = Utc::now();
        let past = now - chrono::Duration::seconds(5);
        let expired_meta = meta(past, past, past);
        let expired = SessionId::generate().key().clone();
        let hash = store.hash(&expired);
        command(
            &store,
            &[
                b"HSET",
                hash.as_bytes(),
                b"m",
                expired_meta.as_bytes(),
                b"d:user",
                b"1",
            ],
        )
        .await;
        assert!(exists(&store, &expired).await);
        assert!(store.load(&expired).await.unwrap().is_none());
        assert!(!exists(&store, &expired).await, "the expired hash is gone");

        // A save that moved the expiry after the load read it keeps the session.
        let saved = stored(&store, 2).await;
        let stale_read = vec![(META.to_owned(), expired_meta)];
        store.delete_expired(&saved, &stale_read).await.unwrap();
        assert!(exists(&store, &saved).await);
        store.delete(&saved).await.unwrap();
    }

    #[tokio::test]
    async fn a_load_dropped_while_its_batch_waits_leaves_the_others_answered() {
        let Some(store) = test_store("dropped") else {
            return;
        };
        let first = stored(&store, 1).await;
        let second = stored(&store, 2).await;
        let mut dropped = store.load(&first);
        let pending = dropped
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending();
        assert!(pending, "the load waits for its batch");
        drop(dropped);
        let record = store
            .load(&second)
            .await
            .unwrap()
            .expect("a stored session");
        assert_eq!(record.data["user"], 2);
    }

    #[tokio::test]
    async fn loads_while_redis_is_down_all_fail_as_unavailable() {
        let store = RedisStore::new("redis://127.0.0.1:1").unwrap();
        let keys: Vec<SessionKey> = (0..5)
            .map(|_| SessionId::generate().key().clone())
            .collect();
        let loads = futures_util::future::join_all(keys.iter().map(|key| store.load(key)));
        let answers = tokio::time::timeout(StdDuration::from_secs(30), loads)
            .await
            .expect("every load is answered");
        for answer in answers {
            assert!(
                matches!(answer, Err(SessionStoreError::Unavailable(_))),
                "{answer:?}"
            );
        }
    }

    fn fields(meta_text: &str) -> Vec<(String, String)> {
        vec![
            ("d:user".to_owned(), "7".to_owned()),
            (META.to_owned(), meta_text.to_owned()),
        ]
    }

    #[test]
    fn the_meta_field_round_trips_and_a_bad_one_is_corrupt() {
        let created = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap();
        let seen = DateTime::from_timestamp_millis(1_700_000_100_456).unwrap();
        let expires = DateTime::from_timestamp_millis(1_701_000_000_789).unwrap();
        let record = record_from_meta(&fields(&meta(created, seen, expires))).unwrap();
        assert_eq!(
            (record.created_at, record.last_seen, record.expires_at),
            (created, seen, expires)
        );
        for bad in ["", "1:2", "1:2:3:4", "1:x:3", "1::3"] {
            assert!(
                matches!(
                    record_from_meta(&fields(bad)),
                    Err(SessionStoreError::Corrupt(_))
                ),
                "{bad:?}"
            );
        }
        let without: Vec<(String, String)> = vec![("d:user".into(), "7".into())];
        assert!(matches!(
            record_from_meta(&without),
            Err(SessionStoreError::Corrupt(_))
        ));
    }
}
