//! The argon2id [`PasswordHasher`]: PHC encoding and parsing, the per-thread
//! argon2 memory, and the hand-off of async calls to the hashing threads
//! (`pool.rs`).

use std::cell::RefCell;
use std::fmt;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::{Algorithm, Argon2, Block, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use subtle::ConstantTimeEq as _;

use super::django::{self, DjangoHash};
use super::{PasswordError, PasswordHash, Verification};

/// Why a stored hash was refused; logged, never shown to users.
pub(super) type Rejection = &'static str;

/// Salt bytes of a new hash (argon2's recommended length).
const SALT_LEN: usize = 16;
/// Output bytes of a new hash.
const HASH_LEN: usize = 32;
/// The most memory a hash may ask for, ours or stored: 1 GiB.
const MAX_MEMORY_KIB: u32 = 1 << 20;
/// The most passes a hash may ask for.
const MAX_ITERATIONS: u32 = 64;
/// The most lanes a hash may ask for.
const MAX_PARALLELISM: u32 = 64;
/// Salt lengths accepted in a stored hash (argon2's minimum is 8).
const STORED_SALT_LEN: RangeInclusive<usize> = 8..=48;
/// Output lengths accepted in a stored hash (argon2's minimum is 4).
const STORED_HASH_LEN: RangeInclusive<usize> = 4..=MAX_STORED_HASH_LEN;
/// The longest stored hash output accepted, in bytes.
const MAX_STORED_HASH_LEN: usize = 64;
/// Password verified against the cached dummy hash; its value does not matter.
const DUMMY_PASSWORD: &str = "aksara dummy password for unknown users";

/// Argon2id cost parameters.
///
/// The default is OWASP's recommendation: 19 MiB (19 456 KiB) of memory, 2
/// iterations, 1 lane. [`PasswordHasher::new`] checks them with argon2 and
/// against this crate's limits: at most 1 GiB of memory, 64 iterations and 64
/// lanes. Stored hashes beyond those limits are refused too, so a tampered hash
/// such as `m=4294967295` cannot make the server allocate 4 TiB.
///
/// ```
/// use aksara_auth::password::Argon2Params;
///
/// let params = Argon2Params::default();
/// assert_eq!((params.memory_kib, params.iterations, params.parallelism), (19_456, 2, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Argon2Params {
    /// Memory in KiB (argon2's `m`); at least 8 per lane.
    pub memory_kib: u32,
    /// Number of passes over the memory (argon2's `t`); at least 1.
    pub iterations: u32,
    /// Number of lanes (argon2's `p`); at least 1. Lanes are computed one after
    /// another on the same thread.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Argon2Params {
    /// Checks the parameters against this crate's limits and argon2's rules.
    fn to_argon2(self, output_len: usize) -> Result<argon2::Params, String> {
        if self.memory_kib > MAX_MEMORY_KIB {
            return Err(format!(
                "memory_kib = {} is above the limit of {MAX_MEMORY_KIB} (1 GiB)",
                self.memory_kib
            ));
        }
        if self.iterations > MAX_ITERATIONS {
            return Err(format!(
                "iterations = {} is above the limit of {MAX_ITERATIONS}",
                self.iterations
            ));
        }
        if self.parallelism > MAX_PARALLELISM {
            return Err(format!(
                "parallelism = {} is above the limit of {MAX_PARALLELISM}",
                self.parallelism
            ));
        }
        argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(output_len),
        )
        .map_err(|error| {
            format!(
                "m = {}, t = {}, p = {}: {error}",
                self.memory_kib, self.iterations, self.parallelism
            )
        })
    }
}

/// Hashes and verifies passwords with argon2id.
///
/// Cloning is cheap and clones share the cached dummy hash of
/// [`verify_dummy`](Self::verify_dummy). Most code uses the process-wide
/// [`global`](Self::global) hasher, which [`install`](Self::install) can replace
/// once at start-up.
///
/// ```
/// use aksara_auth::password::{Argon2Params, PasswordHasher, Verification};
///
/// # fn main() -> Result<(), aksara_auth::password::PasswordError> {
/// let hasher = PasswordHasher::new(Argon2Params { memory_kib: 64, iterations: 1, parallelism: 1 })?;
/// let stored = hasher.hash_blocking("correct horse");
/// assert!(stored.as_encoded().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
/// assert_eq!(hasher.verify_blocking("correct horse", &stored), Verification::Valid);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    params: Argon2Params,
    /// `params` as argon2 wants them, output length included.
    argon2: argon2::Params,
    /// Hash of [`DUMMY_PASSWORD`] at `params`, made on first use.
    dummy: Arc<OnceLock<PasswordHash>>,
    /// Key derivations run by this hasher and its clones.
    computations: Arc<AtomicU64>,
}

/// What a check found, before any rehash (which the caller decides on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checked {
    Valid,
    Outdated,
    Invalid,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Default for PasswordHasher {
    /// A hasher at the OWASP parameters of [`Argon2Params::default`].
    fn default() -> Self {
        Self::new(Argon2Params::default()).expect("the OWASP parameters are valid")
    }
}

/// The process-wide hasher: installed, or the default on first use.
static GLOBAL: OnceLock<PasswordHasher> = OnceLock::new();

impl PasswordHasher {
    /// A hasher at the given parameters.
    ///
    /// # Errors
    ///
    /// [`PasswordError::InvalidParams`] if argon2 rejects the parameters
    /// (`argon2::Params::new`), or if they exceed 1 GiB of memory, 64 iterations
    /// or 64 lanes.
    ///
    /// ```
    /// use aksara_auth::password::{Argon2Params, PasswordError, PasswordHasher};
    ///
    /// # fn main() -> Result<(), PasswordError> {
    /// let hasher = PasswordHasher::new(Argon2Params { memory_kib: 47_104, iterations: 1, parallelism: 1 })?;
    /// assert_eq!(hasher.params().memory_kib, 47_104);
    ///
    /// let too_big = Argon2Params { memory_kib: u32::MAX, ..Argon2Params::default() };
    /// assert!(matches!(PasswordHasher::new(too_big), Err(PasswordError::InvalidParams(_))));
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(params: Argon2Params) -> Result<Self, PasswordError> {
        let argon2 = params
            .to_argon2(HASH_LEN)
            .map_err(PasswordError::InvalidParams)?;
        Ok(Self {
            params,
            argon2,
            dummy: Arc::new(OnceLock::new()),
            computations: Arc::new(AtomicU64::new(0)),
        })
    }

    /// How many key derivations (argon2 or PBKDF2 runs) this hasher and its
    /// clones have computed: hashes, verifications and dummy verifications. For
    /// metrics, and for tests that check each login path costs the same work.
    ///
    /// ```
    /// use aksara_auth::password::{Argon2Params, PasswordHasher};
    ///
    /// # fn main() -> Result<(), aksara_auth::password::PasswordError> {
    /// let hasher = PasswordHasher::new(Argon2Params { memory_kib: 64, iterations: 1, parallelism: 1 })?;
    /// let stored = hasher.hash_blocking("correct horse");
    /// let _ = hasher.verify_blocking("wrong", &stored);
    /// assert_eq!(hasher.computations(), 2);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn computations(&self) -> u64 {
        self.computations.load(Ordering::Relaxed)
    }

    fn count_computation(&self) {
        self.computations.fetch_add(1, Ordering::Relaxed);
    }

    /// The parameters new hashes are made with.
    ///
    /// ```
    /// use aksara_auth::password::{Argon2Params, PasswordHasher};
    ///
    /// assert_eq!(*PasswordHasher::default().params(), Argon2Params::default());
    /// ```
    #[must_use]
    pub fn params(&self) -> &Argon2Params {
        &self.params
    }

    /// Makes `hasher` the process-wide hasher returned by [`global`](Self::global)
    /// and used by [`hash_password`](super::hash_password) and
    /// [`check_password`](super::check_password). Call it once at start-up,
    /// before anything hashes.
    ///
    /// # Errors
    ///
    /// [`PasswordError::AlreadyInstalled`] if a hasher was installed before, or
    /// if [`global`](Self::global) was already called and fixed the default.
    ///
    /// ```
    /// use aksara_auth::password::{Argon2Params, PasswordError, PasswordHasher};
    ///
    /// # fn main() -> Result<(), PasswordError> {
    /// let params = Argon2Params { memory_kib: 65_536, iterations: 3, parallelism: 1 };
    /// PasswordHasher::install(PasswordHasher::new(params)?)?;
    /// assert_eq!(PasswordHasher::global().params(), &params);
    ///
    /// let again = PasswordHasher::install(PasswordHasher::default());
    /// assert!(matches!(again, Err(PasswordError::AlreadyInstalled)));
    /// # Ok(())
    /// # }
    /// ```
    pub fn install(hasher: PasswordHasher) -> Result<(), PasswordError> {
        let params = hasher.params;
        GLOBAL
            .set(hasher)
            .map_err(|_| PasswordError::AlreadyInstalled)?;
        tracing::debug!(
            memory_kib = params.memory_kib,
            iterations = params.iterations,
            parallelism = params.parallelism,
            "password hasher installed"
        );
        Ok(())
    }

    /// The process-wide hasher: the [installed](Self::install) one, or else a
    /// [default](Argon2Params::default) hasher, fixed from then on.
    ///
    /// ```
    /// use aksara_auth::password::{Argon2Params, PasswordHasher};
    ///
    /// assert_eq!(PasswordHasher::global().params(), &Argon2Params::default());
    /// ```
    #[must_use]
    pub fn global() -> &'static PasswordHasher {
        GLOBAL.get_or_init(PasswordHasher::default)
    }

    /// Hashes a password on the calling thread: argon2id version 19 with a random
    /// 16-byte salt, encoded as a PHC string. Takes 20–30 ms at the default
    /// parameters, so do not call it on an async runtime thread; use
    /// [`hash`](Self::hash) there.
    ///
    /// # Panics
    ///
    /// If the operating system's random number generator fails, or memory for
    /// argon2 cannot be allocated.
    ///
    /// ```
    /// use aksara_auth::password::{Argon2Params, PasswordHasher};
    ///
    /// # fn main() -> Result<(), aksara_auth::password::PasswordError> {
    /// let hasher = PasswordHasher::new(Argon2Params { memory_kib: 64, iterations: 1, parallelism: 1 })?;
    /// let a = hasher.hash_blocking("correct horse");
    /// let b = hasher.hash_blocking("correct horse");
    /// assert_ne!(a, b, "each hash has its own salt");
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn hash_blocking(&self, raw: &str) -> PasswordHash {
        let mut salt = [0_u8; SALT_LEN];
        getrandom::fill(&mut salt).unwrap_or_else(|error| {
            panic!("the operating system's random number generator failed: {error}")
        });
        let mut out = [0_u8; HASH_LEN];
        self.count_computation();
        let started = std::time::Instant::now();
        argon2_into(
            Algorithm::Argon2id,
            Version::V0x13,
            self.argon2.clone(),
            raw.as_bytes(),
            &salt,
            &mut out,
            self.argon2.block_count(),
        )
        .unwrap_or_else(|reason| panic!("argon2id hashing failed: {reason}"));
        warn_once_if_unoptimised(started.elapsed(), &self.params);
        PasswordHash(format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            self.params.memory_kib,
            self.params.iterations,
            self.params.parallelism,
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(out),
        ))
    }

    /// Checks a password against a stored hash on the calling thread; use
    /// [`verify`](Self::verify) on an async runtime.
    ///
    /// Accepts argon2 PHC strings (`argon2id`, `argon2i`, `argon2d`) and Django's
    /// `pbkdf2_sha256$…` and `argon2$…` hashes. A correct password whose hash is
    /// in a Django format or at other parameters than [`params`](Self::params)
    /// gives [`Verification::ValidOutdated`] with a new hash, computed here.
    /// Wrong passwords, unusable hashes and malformed or unsupported hashes give
    /// [`Verification::Invalid`]; a malformed hash is logged (without its text)
    /// at `warn` level.
    ///
    /// # Panics
    ///
    /// Only when rehashing an outdated hash, as [`hash_blocking`](Self::hash_blocking).
    ///
    /// ```
    /// use aksara_auth::password::{PasswordHash, PasswordHasher, Verification};
    ///
    /// let hasher = PasswordHasher::global();
    /// // A hash at the current parameters, from argon2-cffi.
    /// let stored = PasswordHash::from_encoded(
    ///     "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$k9ohroejZy1PN5E1SbHNPug6vB8eQAahb5SOAp6iGF4",
    /// );
    /// assert_eq!(hasher.verify_blocking("correct horse", &stored), Verification::Valid);
    /// assert_eq!(hasher.verify_blocking("Correct horse", &stored), Verification::Invalid);
    /// assert_eq!(
    ///     hasher.verify_blocking("correct horse", &PasswordHash::from_encoded("$argon2id$")),
    ///     Verification::Invalid
    /// );
    /// ```
    pub fn verify_blocking(&self, raw: &str, stored: &PasswordHash) -> Verification {
        match self.check_blocking(raw, stored) {
            Checked::Valid => Verification::Valid,
            Checked::Outdated => {
                tracing::debug!("password hash outdated; rehashed at the current parameters");
                Verification::ValidOutdated(self.hash_blocking(raw))
            }
            Checked::Invalid => Verification::Invalid,
        }
    }

    /// Whether `raw` matches `stored`, at the cost of at least one derivation at
    /// the current parameters whatever the stored hash is: an unusable or
    /// malformed hash is checked against the dummy hash instead, and a hash at
    /// cheaper argon2 parameters is followed by a dummy check (as Django's
    /// `harden_runtime`), so none of them answers faster than a wrong password.
    pub(crate) fn check_blocking(&self, raw: &str, stored: &PasswordHash) -> Checked {
        if !stored.is_usable() {
            self.verify_dummy_blocking(raw);
            return Checked::Invalid;
        }
        match self.check(raw.as_bytes(), stored.as_encoded()) {
            Ok(found) => {
                if found.cheaper {
                    self.verify_dummy_blocking(raw);
                }
                match found.outcome {
                    Outcome::Mismatch => Checked::Invalid,
                    Outcome::Match { outdated: false } => Checked::Valid,
                    Outcome::Match { outdated: true } => Checked::Outdated,
                }
            }
            Err(reason) => {
                tracing::warn!(reason, "stored password hash refused");
                self.verify_dummy_blocking(raw);
                Checked::Invalid
            }
        }
    }

    /// Checks `raw` against the dummy hash (made on first use) and discards the
    /// answer.
    fn verify_dummy_blocking(&self, raw: &str) {
        let dummy = self
            .dummy
            .get_or_init(|| self.hash_blocking(DUMMY_PASSWORD));
        let _ = self.check(raw.as_bytes(), dummy.as_encoded());
    }

    /// Hashes a password on the hashing threads (one per CPU, below normal
    /// priority; never on the async runtime), at most
    /// [`available_parallelism`](std::thread::available_parallelism) at a time
    /// process-wide. See [`hash_blocking`](Self::hash_blocking).
    ///
    /// # Errors
    ///
    /// [`PasswordError::Join`] if the hashing job panicked or the hashing threads could not start.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), aksara_auth::password::PasswordError> {
    /// use aksara_auth::password::{Argon2Params, PasswordHasher, Verification};
    ///
    /// let hasher = PasswordHasher::new(Argon2Params { memory_kib: 64, iterations: 1, parallelism: 1 })?;
    /// let stored = hasher.hash("correct horse").await?;
    /// assert_eq!(hasher.verify("correct horse", &stored).await?, Verification::Valid);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn hash(&self, raw: &str) -> Result<PasswordHash, PasswordError> {
        let hasher = self.clone();
        let raw = raw.to_owned();
        super::pool::run(move || hasher.hash_blocking(&raw)).await
    }

    /// Checks a password on the hashing threads (one per CPU, below normal
    /// priority; never on the async runtime), at most
    /// [`available_parallelism`](std::thread::available_parallelism) at a time
    /// process-wide. See [`verify_blocking`](Self::verify_blocking); the new hash
    /// of an outdated one is made in the same job.
    ///
    /// # Errors
    ///
    /// [`PasswordError::Join`] if the hashing job panicked or the hashing threads could not start. A
    /// wrong password or a malformed hash is `Ok(Verification::Invalid)`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), aksara_auth::password::PasswordError> {
    /// use aksara_auth::password::{PasswordHash, PasswordHasher, Verification};
    ///
    /// // Written by Django 5.2: `make_password("correct horse", hasher="pbkdf2_sha256")`
    /// // with the iterations lowered to 1000.
    /// let stored = PasswordHash::from_encoded(
    ///     "pbkdf2_sha256$1000$aCBuZUIc22dhsjEOmPpeag$UTjsjIpKWadSqusEjNvlW2AkvtKB/VYX2vWsQg9ciBQ=",
    /// );
    /// let hasher = PasswordHasher::global();
    /// let Verification::ValidOutdated(upgraded) = hasher.verify("correct horse", &stored).await? else {
    ///     panic!("a correct password in Django's format is valid but outdated");
    /// };
    /// assert_eq!(hasher.verify("correct horse", &upgraded).await?, Verification::Valid);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn verify(
        &self,
        raw: &str,
        stored: &PasswordHash,
    ) -> Result<Verification, PasswordError> {
        let hasher = self.clone();
        let raw = raw.to_owned();
        let stored = stored.clone();
        super::pool::run(move || hasher.verify_blocking(&raw, &stored)).await
    }

    /// Runs one verification against a dummy hash at the current parameters and
    /// discards the result. Call it when a login names an unknown user, so the
    /// response takes as long as for a known user with a wrong password.
    ///
    /// The dummy hash is made on the first call (which therefore costs two
    /// hashes) and cached in the hasher and its clones.
    ///
    /// # Errors
    ///
    /// [`PasswordError::Join`] if the hashing job panicked or the hashing threads could not start.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), aksara_auth::password::PasswordError> {
    /// use aksara_auth::password::PasswordHasher;
    ///
    /// // No user called "mallory": spend the same time as a real check anyway.
    /// PasswordHasher::global().verify_dummy("guess").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn verify_dummy(&self, raw: &str) -> Result<(), PasswordError> {
        let hasher = self.clone();
        let raw = raw.to_owned();
        super::pool::run(move || hasher.verify_dummy_blocking(&raw)).await
    }

    /// [`check_blocking`](Self::check_blocking) on the hashing threads: the
    /// verdict without the rehash, which `authenticate` makes only for an active
    /// user, so an inactive one costs the same whether the password was right.
    pub(crate) async fn check_async(
        &self,
        raw: &str,
        stored: &PasswordHash,
    ) -> Result<Checked, PasswordError> {
        let hasher = self.clone();
        let raw = raw.to_owned();
        let stored = stored.clone();
        super::pool::run(move || hasher.check_blocking(&raw, &stored)).await
    }

    /// Verifies `raw` against an encoded hash of any supported format.
    fn check(&self, raw: &[u8], encoded: &str) -> Result<Found, Rejection> {
        let (phc, django) = if encoded.starts_with('$') {
            (encoded, false)
        } else {
            match django::parse(encoded)? {
                DjangoHash::Argon2(phc) => (phc, true),
                DjangoHash::Pbkdf2Sha256(stored) => {
                    self.count_computation();
                    let outcome = Outcome::new(stored.verify(raw), true);
                    return Ok(Found {
                        outcome,
                        cheaper: false,
                    });
                }
            }
        };
        let stored = StoredArgon2::parse(phc)?;
        let mut out = [0_u8; MAX_STORED_HASH_LEN];
        let out = &mut out[..stored.hash.len()];
        self.count_computation();
        argon2_into(
            stored.algorithm,
            stored.version,
            stored.params.clone(),
            raw,
            &stored.salt,
            out,
            self.argon2.block_count(),
        )?;
        let matched = bool::from(out.ct_eq(&stored.hash));
        let work = |m: u32, t: u32| u64::from(m) * u64::from(t);
        let cheaper = work(stored.params.m_cost(), stored.params.t_cost())
            < work(self.params.memory_kib, self.params.iterations);
        Ok(Found {
            outcome: Outcome::new(matched, django || !self.is_current(&stored)),
            cheaper,
        })
    }

    /// Whether a stored argon2 hash is what this hasher would write now.
    fn is_current(&self, stored: &StoredArgon2) -> bool {
        stored.algorithm == Algorithm::Argon2id
            && stored.version == Version::V0x13
            && stored.params.m_cost() == self.params.memory_kib
            && stored.params.t_cost() == self.params.iterations
            && stored.params.p_cost() == self.params.parallelism
    }
}

/// A check's outcome, and whether the stored hash cost less work than one at
/// the current parameters.
struct Found {
    outcome: Outcome,
    cheaper: bool,
}

/// The result of a successful check of a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Mismatch,
    Match { outdated: bool },
}

impl Outcome {
    fn new(matched: bool, outdated: bool) -> Self {
        if matched {
            Self::Match { outdated }
        } else {
            Self::Mismatch
        }
    }
}

/// An argon2 PHC string, parsed and within this crate's limits. No `Debug`:
/// it holds a hash.
struct StoredArgon2 {
    algorithm: Algorithm,
    version: Version,
    /// Cost parameters, with the output length set to the stored hash's.
    params: argon2::Params,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl StoredArgon2 {
    /// Parses `$<algorithm>[$v=<version>]$m=<m>,t=<t>,p=<p>$<salt>$<hash>`, with
    /// salt and hash in unpadded standard base64 (the PHC string format).
    fn parse(encoded: &str) -> Result<Self, Rejection> {
        let mut fields = encoded
            .strip_prefix('$')
            .ok_or("not a PHC string")?
            .split('$');
        // `argon2id`, `argon2i` or `argon2d`.
        let algorithm = match fields.next() {
            Some("argon2id") => Algorithm::Argon2id,
            Some("argon2i") => Algorithm::Argon2i,
            Some("argon2d") => Algorithm::Argon2d,
            _ => return Err("unsupported algorithm"),
        };
        let mut field = fields.next().ok_or("missing argon2 parameters")?;
        // `v=19`, or `v=16`, or nothing: hashes from before version 19 have none.
        let version = if let Some(version) = field.strip_prefix("v=") {
            field = fields.next().ok_or("missing argon2 parameters")?;
            match version {
                "19" => Version::V0x13,
                "16" => Version::V0x10,
                _ => return Err("unsupported argon2 version"),
            }
        } else {
            Version::V0x10
        };
        let (memory_kib, iterations, parallelism) = parse_cost(field)?;
        let salt = decode_b64(fields.next().ok_or("missing salt")?, STORED_SALT_LEN)?;
        let hash = decode_b64(fields.next().ok_or("missing hash")?, STORED_HASH_LEN)?;
        if fields.next().is_some() {
            return Err("unexpected field after the hash");
        }
        let params = Argon2Params {
            memory_kib,
            iterations,
            parallelism,
        }
        .to_argon2(hash.len())
        .map_err(|_| "argon2 parameters out of range")?;
        Ok(Self {
            algorithm,
            version,
            params,
            salt,
            hash,
        })
    }
}

/// Parses `m=<m>,t=<t>,p=<p>` (in any order, each once) into `(m, t, p)`.
fn parse_cost(field: &str) -> Result<(u32, u32, u32), Rejection> {
    let (mut m, mut t, mut p) = (None, None, None);
    for pair in field.split(',') {
        let (name, value) = pair.split_once('=').ok_or("malformed argon2 parameter")?;
        let slot = match name {
            "m" => &mut m,
            "t" => &mut t,
            "p" => &mut p,
            _ => return Err("unsupported argon2 parameter"),
        };
        if slot.replace(parse_decimal(value)?).is_some() {
            return Err("repeated argon2 parameter");
        }
    }
    match (m, t, p) {
        (Some(m), Some(t), Some(p)) => Ok((m, t, p)),
        _ => Err("missing argon2 parameter"),
    }
}

/// Parses a PHC decimal: ASCII digits, no sign, no leading zero.
pub(super) fn parse_decimal(value: &str) -> Result<u32, Rejection> {
    let canonical = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'));
    if !canonical {
        return Err("malformed decimal");
    }
    value.parse().map_err(|_| "decimal out of range")
}

/// Decodes unpadded standard base64 into at most `len.end()` bytes, without
/// allocating for over-long input.
fn decode_b64(field: &str, len: RangeInclusive<usize>) -> Result<Vec<u8>, Rejection> {
    let mut buf = [0_u8; MAX_STORED_HASH_LEN];
    let buf = &mut buf[..*len.end()];
    let n = STANDARD_NO_PAD
        .decode_slice(field, buf)
        .map_err(|_| "malformed base64")?;
    if !len.contains(&n) {
        return Err("salt or hash of unsupported length");
    }
    Ok(buf[..n].to_vec())
}

/// Microseconds per KiB and pass that an optimised argon2 build needs on a
/// slow server core (measured ~0.55 µs on this project's 2-core machine).
const OPTIMISED_MICROS_PER_KIB_PASS: f64 = 1.0;
/// How many times slower than that counts as an unoptimised build: debug builds
/// of argon2 run 15–20 times slower (420 ms against 19–25 ms per hash).
const UNOPTIMISED_FACTOR: f64 = 6.0;

/// The lines that make a debug build compile the hashing crates optimised.
pub(crate) const OPTIMISE_HASHING_TOML: &str = "[profile.dev.package.argon2]
opt-level = 3

[profile.dev.package.blake2]
opt-level = 3

[profile.dev.package.sha2]
opt-level = 3

[profile.dev.package.pbkdf2]
opt-level = 3";

/// Logs one warning per process when the first hash of a debug build took far
/// longer than an optimised argon2 would: the application's `Cargo.toml` lacks
/// the profile lines that this workspace has, and every login then waits ~0.5 s.
fn warn_once_if_unoptimised(elapsed: std::time::Duration, params: &Argon2Params) {
    static MEASURED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !cfg!(debug_assertions) || MEASURED.swap(true, Ordering::Relaxed) {
        return;
    }
    if let Some(expected_ms) = unoptimised(elapsed, params) {
        let took_ms = elapsed.as_secs_f64() * 1000.0;
        tracing::warn!(
            target: "aksara_auth::password",
            took_ms = took_ms.round(),
            "a password hash took {took_ms:.0} ms, where an optimised build takes about {:.0} ms: \
             this debug build compiles argon2 without optimisation, so every login and \
             registration waits that long. Add these lines to the Cargo.toml of your \
             workspace root, then rebuild:\n\n{OPTIMISE_HASHING_TOML}\n",
            expected_ms / 2.0
        );
    }
}

/// The time a hash at `params` would take at most when optimised, in ms, if
/// `elapsed` is far above it.
fn unoptimised(elapsed: std::time::Duration, params: &Argon2Params) -> Option<f64> {
    let work = f64::from(params.memory_kib) * f64::from(params.iterations);
    let expected_ms = work * OPTIMISED_MICROS_PER_KIB_PASS / 1000.0;
    (elapsed.as_secs_f64() * 1000.0 > expected_ms * UNOPTIMISED_FACTOR).then_some(expected_ms)
}

thread_local! {
    /// This thread's argon2 working memory, kept between hashes: a fresh 19 MiB
    /// buffer per hash costs more in page faults than the hash itself.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Computes argon2 into `out` using this thread's reused memory. A larger
/// buffer than `keep_blocks` (the current parameters' size) needed for an old
/// hash is given back afterwards.
fn argon2_into(
    algorithm: Algorithm,
    version: Version,
    params: argon2::Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    keep_blocks: usize,
) -> Result<(), Rejection> {
    let needed = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut run = |memory: &mut [Block]| {
        argon2
            .hash_password_into_with_memory(password, salt, out, memory)
            .map_err(|_| "argon2 refused its input")
    };
    MEMORY.with(|cell| {
        let Ok(mut memory) = cell.try_borrow_mut() else {
            // Not reached (nothing hashes re-entrantly), but never panic over it.
            return run(&mut allocate(needed)?);
        };
        if memory.len() < needed {
            // Drop the old buffer first rather than copy it into a larger one.
            *memory = Vec::new();
            *memory = allocate(needed)?;
        }
        let result = run(&mut memory[..needed]);
        if memory.len() > keep_blocks {
            memory.truncate(keep_blocks);
            memory.shrink_to_fit();
        }
        result
    })
}

/// Zeroed argon2 memory, or an error instead of an abort when it is not there.
fn allocate(blocks: usize) -> Result<Vec<Block>, Rejection> {
    let mut memory = Vec::new();
    memory
        .try_reserve_exact(blocks)
        .map_err(|_| "out of memory for argon2")?;
    memory.resize(blocks, Block::new());
    Ok(memory)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// argon2-cffi, `hash_secret(b"correct horse", b"somesaltsomesalt", t=2,
    /// m=19456, p=1, hash_len=32, type=ID)`: the default parameters.
    const CFFI_ARGON2ID_CURRENT: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$k9ohroejZy1PN5E1SbHNPug6vB8eQAahb5SOAp6iGF4";
    /// argon2-cffi, same salt, `t=1, m=1024, p=1, type=I`.
    const CFFI_ARGON2I: &str = "$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$oIEPqwsKhzfR5i0XIQQgT4QUOzRJpiCQZntQ1KsKQFk";

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    fn verify(hasher: &PasswordHasher, raw: &str, encoded: &str) -> Verification {
        hasher.verify_blocking(raw, &PasswordHash::from_encoded(encoded))
    }

    #[test]
    fn round_trip_at_default_params() {
        let hasher = PasswordHasher::default();
        let stored = hasher.hash_blocking("correct horse");
        let encoded = stored.as_encoded();
        assert!(encoded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let fields: Vec<&str> = encoded.split('$').collect();
        assert_eq!(fields.len(), 6);
        assert_eq!(fields[4].len(), 22, "16-byte salt, unpadded base64");
        assert_eq!(fields[5].len(), 43, "32-byte hash, unpadded base64");
        assert!(!fields[4].contains('=') && !fields[5].contains('='));
        assert_eq!(
            hasher.verify_blocking("correct horse", &stored),
            Verification::Valid
        );
        assert_eq!(
            hasher.verify_blocking("correct horsE", &stored),
            Verification::Invalid
        );
        assert_eq!(hasher.verify_blocking("", &stored), Verification::Invalid);
    }

    #[test]
    fn matches_argon2_cffi() {
        let hasher = PasswordHasher::default();
        assert_eq!(
            verify(&hasher, "correct horse", CFFI_ARGON2ID_CURRENT),
            Verification::Valid
        );
        assert_eq!(
            verify(&hasher, "correct horses", CFFI_ARGON2ID_CURRENT),
            Verification::Invalid
        );
    }

    #[test]
    fn argon2i_is_valid_but_outdated() {
        let hasher = cheap();
        let Verification::ValidOutdated(new) = verify(&hasher, "correct horse", CFFI_ARGON2I)
        else {
            panic!("argon2i should verify as outdated");
        };
        assert!(new.as_encoded().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(
            hasher.verify_blocking("correct horse", &new),
            Verification::Valid
        );
        assert_eq!(
            verify(&hasher, "wrong", CFFI_ARGON2I),
            Verification::Invalid
        );
    }

    #[test]
    fn weaker_params_are_outdated() {
        let weak = PasswordHasher::new(Argon2Params {
            iterations: 1,
            ..Argon2Params::default()
        })
        .unwrap();
        let stored = weak.hash_blocking("correct horse");
        assert!(
            stored
                .as_encoded()
                .starts_with("$argon2id$v=19$m=19456,t=1,p=1$")
        );

        let current = PasswordHasher::default();
        let Verification::ValidOutdated(new) = current.verify_blocking("correct horse", &stored)
        else {
            panic!("t=1 should be outdated at t=2");
        };
        assert!(
            new.as_encoded()
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        assert_eq!(
            current.verify_blocking("correct horse", &new),
            Verification::Valid
        );
        assert_eq!(
            current.verify_blocking("correct horsf", &stored),
            Verification::Invalid
        );
    }

    #[test]
    fn malformed_hashes_are_invalid() {
        let hasher = PasswordHasher::default();
        let (salt, hash) = (
            "c29tZXNhbHRzb21lc2FsdA",
            "k9ohroejZy1PN5E1SbHNPug6vB8eQAahb5SOAp6iGF4",
        );
        let cases = [
            String::new(),
            "$".into(),
            "$argon2id$".into(),
            "$argon2id$v=19$".into(),
            "$argon2id$v=19$m=19456,t=2,p=1$".into(),
            format!("$argon2id$v=19$m=19456,t=2,p=1${salt}"),
            format!("$argon2id$v=19$m=19456,t=2,p=1${salt}$"),
            format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${hash}$extra"),
            "garbage".into(),
            "argon2".into(),
            "argon2$".into(),
            "\u{0}$\u{ffff}".into(),
            "$$$$$$$".into(),
            format!("$scrypt$ln=16,r=8,p=1${salt}${hash}"),
            format!("$argon2x$v=19$m=19456,t=2,p=1${salt}${hash}"),
            format!("$argon2id$v=20$m=19456,t=2,p=1${salt}${hash}"),
            // Truncated base64: a length no base64 text has, then a short hash.
            format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${}", &hash[..42]),
            format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${}", &hash[..41]),
            format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${}", &hash[..2]),
            format!("$argon2id$v=19$m=19456,t=2,p=1${}${hash}", &salt[..9]),
            format!("$argon2id$v=19$m=19456,t=2,p=1$!!!!${hash}"),
            format!("$argon2id$v=19$m=19456,t=2,p=1${salt}$={hash}"),
            format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${hash}="),
            format!(
                "$argon2id$v=19$m=19456,t=2,p=1${salt}${}",
                "A".repeat(100_000)
            ),
            // Absurd or broken parameters.
            format!("$argon2id$v=19$m=4294967295,t=2,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=1048577,t=1,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=19456,t=4294967295,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=19456,t=2,p=16777215${salt}${hash}"),
            format!("$argon2id$v=19$m=19456,t=0,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=19456,t=2,p=0${salt}${hash}"),
            format!("$argon2id$v=19$m=1,t=2,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=99999999999,t=2,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=-1,t=2,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=+19456,t=2,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=019456,t=2,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=19456,t=2${salt}${hash}"),
            format!("$argon2id$v=19$m=19456,t=2,p=1,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=19456,t=2,p=1,keyid=AAAA${salt}${hash}"),
            format!("$argon2id$v=19$m=19456,,t=2,p=1${salt}${hash}"),
            format!("$argon2id$v=19$m=19456;t=2;p=1${salt}${hash}"),
        ];
        for encoded in &cases {
            assert_eq!(
                verify(&hasher, "correct horse", encoded),
                Verification::Invalid,
                "{encoded:.80}"
            );
        }
        // The untouched string does verify, so the cases above fail for their defect.
        assert_eq!(
            verify(
                &hasher,
                "correct horse",
                &format!("$argon2id$v=19$m=19456,t=2,p=1${salt}${hash}")
            ),
            Verification::Valid
        );
    }

    #[test]
    fn parameters_in_another_order_still_verify() {
        let hasher = PasswordHasher::default();
        let reordered = CFFI_ARGON2ID_CURRENT.replace("m=19456,t=2,p=1", "p=1,t=2,m=19456");
        assert_eq!(
            verify(&hasher, "correct horse", &reordered),
            Verification::Valid
        );
    }

    #[test]
    fn limits_apply_to_new_hashers() {
        for params in [
            Argon2Params {
                memory_kib: MAX_MEMORY_KIB + 1,
                ..Argon2Params::default()
            },
            Argon2Params {
                iterations: MAX_ITERATIONS + 1,
                ..Argon2Params::default()
            },
            Argon2Params {
                parallelism: MAX_PARALLELISM + 1,
                ..Argon2Params::default()
            },
            Argon2Params {
                iterations: 0,
                ..Argon2Params::default()
            },
            Argon2Params {
                memory_kib: 15,
                iterations: 1,
                parallelism: 2,
            },
        ] {
            let error = PasswordHasher::new(params).unwrap_err();
            assert!(
                matches!(error, PasswordError::InvalidParams(_)),
                "{params:?}"
            );
        }
    }

    #[test]
    fn memory_is_reused_and_shrunk_back() {
        let small = cheap();
        let stored = small.hash_blocking("pw");
        let bigger = PasswordHasher::new(Argon2Params {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        // Verifying a larger old hash with the small hasher keeps only its size.
        let big_hash = bigger.hash_blocking("pw");
        assert!(small.verify_blocking("pw", &big_hash).is_valid());
        MEMORY.with(|memory| assert_eq!(memory.borrow().len(), 64));
        assert_eq!(small.verify_blocking("pw", &stored), Verification::Valid);
        MEMORY.with(|memory| assert_eq!(memory.borrow().len(), 64));
    }

    #[test]
    fn install_only_once() {
        // Another test may already have fixed the default via `global()`.
        let first = PasswordHasher::install(PasswordHasher::default());
        assert!(matches!(
            first,
            Ok(()) | Err(PasswordError::AlreadyInstalled)
        ));
        let second = PasswordHasher::install(PasswordHasher::default());
        assert!(matches!(second, Err(PasswordError::AlreadyInstalled)));
        assert_eq!(PasswordHasher::global().params(), &Argon2Params::default());
    }

    #[test]
    fn an_unoptimised_first_hash_is_recognised_and_the_readme_gives_the_fix() {
        use std::time::Duration;
        let default = Argon2Params::default();
        // Measured: 420 ms in a debug build without the profile lines, 19–25 ms with.
        assert!(unoptimised(Duration::from_millis(420), &default).is_some());
        assert!(unoptimised(Duration::from_millis(25), &default).is_none());
        assert!(unoptimised(Duration::from_millis(90), &default).is_none());
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(OPTIMISE_HASHING_TOML),
            "the README's getting-started Cargo.toml must hold the lines the warning names"
        );
    }

    #[test]
    fn debug_shows_params_only() {
        let hasher = cheap();
        let stored = hasher.hash_blocking("pw");
        let _ = hasher.dummy.set(stored);
        assert_eq!(
            format!("{hasher:?}"),
            "PasswordHasher { params: Argon2Params { memory_kib: 64, iterations: 1, parallelism: 1 }, .. }"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn async_round_trip_and_outdated() {
        let hasher = cheap();
        let stored = hasher.hash("correct horse").await.unwrap();
        assert_eq!(
            hasher.verify("correct horse", &stored).await.unwrap(),
            Verification::Valid
        );
        assert_eq!(
            hasher.verify("nope", &stored).await.unwrap(),
            Verification::Invalid
        );
        let stronger = PasswordHasher::new(Argon2Params {
            memory_kib: 128,
            ..*hasher.params()
        })
        .unwrap();
        let Verification::ValidOutdated(new) =
            stronger.verify("correct horse", &stored).await.unwrap()
        else {
            panic!("m=64 should be outdated at m=128");
        };
        assert_eq!(
            stronger.verify("correct horse", &new).await.unwrap(),
            Verification::Valid
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_concurrent_checks() {
        let hasher = cheap();
        let stored = hasher.hash("pw").await.unwrap();
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let hasher = hasher.clone();
                let stored = stored.clone();
                tokio::spawn(async move {
                    let raw = if i % 2 == 0 { "pw" } else { "not pw" };
                    (i, hasher.verify(raw, &stored).await.unwrap())
                })
            })
            .collect();
        for task in tasks {
            let (i, verification) = task.await.unwrap();
            assert_eq!(verification.is_valid(), i % 2 == 0);
        }
    }

    #[tokio::test]
    async fn dummy_is_cached_and_shared_by_clones() {
        let hasher = cheap();
        hasher.verify_dummy("anything").await.unwrap();
        let dummy = hasher.dummy.get().cloned().unwrap();
        assert!(
            dummy
                .as_encoded()
                .starts_with("$argon2id$v=19$m=64,t=1,p=1$")
        );
        let clone = hasher.clone();
        clone.verify_dummy("other").await.unwrap();
        assert_eq!(clone.dummy.get(), Some(&dummy));
    }
}
