//! Revocation: logout ([`Jwt::revoke`]), the `auth_revoked_tokens` table of
//! access tokens refused before they expire, each [`Jwt`]'s in-memory copy of
//! it (re-read at most once per `revocation_interval`: the [`jwt`](super) module
//! docs say how fast a revocation reaches other instances), and the purge of
//! both tables.
//!
//! The rows are stamped with the revoking process's clock, and each read looks
//! back [`CLOCK_MARGIN`] before the previous one, so a revocation is not missed
//! when the machines' clocks disagree by less than that, or a row commits a
//! little after it was stamped. Rows read twice are simply the same entry.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use aksara::{Db, Filter};
use chrono::{DateTime, Utc};

use super::refresh::IssuedRefreshToken;
use super::{Claims, Jwt, JwtError, TokenType};
use crate::{AuthUser, UserId};

/// How far before its previous read a process looks for new revocations: the
/// clock difference between machines, and the delay between stamping a row
/// and committing it, that are tolerated.
const CLOCK_MARGIN: chrono::Duration = chrono::Duration::seconds(5);

/// One revoked access token: the `auth_revoked_tokens` table. `db.migrate()`
/// creates it.
#[derive(aksara::Model)]
#[model(table = "auth_revoked_tokens")]
pub(crate) struct RevokedToken {
    #[field(primary_key)]
    pub(crate) id: i64,
    #[field(unique, max_length = 64)]
    pub(crate) jti: String,
    /// The revoking process's clock; each process reads the rows newer than its
    /// previous read.
    #[field(index)]
    pub(crate) revoked_at: DateTime<Utc>,
    /// When the token stops being accepted anyway; the purge deletes the row then.
    #[field(index)]
    pub(crate) expires_at: DateTime<Utc>,
}

/// This process's copy of `auth_revoked_tokens`.
pub(crate) struct RevocationList {
    interval: Duration,
    copy: Mutex<Snapshot>,
    /// Held by the one request that reads the table; the others use the copy.
    reading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Snapshot {
    /// Revoked `jti` → when its token expires.
    jtis: HashMap<String, DateTime<Utc>>,
    /// When the last read started (monotonic, for the interval; wall clock, for
    /// the next read's condition). `None` before the first.
    read: Option<(Instant, DateTime<Utc>)>,
}

impl Snapshot {
    fn is_fresh(&self, interval: Duration) -> bool {
        self.read.is_some_and(|(at, _)| at.elapsed() < interval)
    }
}

impl RevocationList {
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            copy: Mutex::default(),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    fn copy(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.copy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `jti` is revoked, re-reading the table first when the copy is
    /// older than the interval.
    pub(crate) async fn contains(&self, db: &Db, jti: &str) -> aksara::Result<bool> {
        {
            let copy = self.copy();
            if copy.is_fresh(self.interval) {
                return Ok(copy.jtis.contains_key(jti));
            }
        }
        self.read(db).await?;
        Ok(self.copy().jtis.contains_key(jti))
    }

    /// Adds what was revoked since the last read (everything unexpired at the
    /// first), and forgets what has expired.
    async fn read(&self, db: &Db) -> aksara::Result<()> {
        let _reading = match self.reading.try_lock() {
            Ok(guard) => guard,
            // Another request is reading: go on with the copy, unless there is
            // none yet.
            Err(_) if self.copy().read.is_some() => return Ok(()),
            Err(_) => self.reading.lock().await,
        };
        let previous = {
            let copy = self.copy();
            if copy.is_fresh(self.interval) {
                // Read by the request this one waited for.
                return Ok(());
            }
            copy.read.map(|(_, wall)| wall)
        };
        let started = (Instant::now(), Utc::now());
        let mut query = RevokedToken::objects().filter(RevokedToken::EXPIRES_AT.gt(started.1));
        if let Some(previous) = previous {
            query = query.filter(RevokedToken::REVOKED_AT.gt(previous - CLOCK_MARGIN));
        }
        let rows = query.all(db).await?;
        tracing::debug!(target: "aksara_auth::jwt", rows = rows.len(), "revoked access tokens read");
        let mut copy = self.copy();
        copy.jtis.retain(|_, expires| *expires > started.1);
        copy.jtis
            .extend(rows.into_iter().map(|row| (row.jti, row.expires_at)));
        copy.read = Some(started);
        Ok(())
    }

    fn insert(&self, jti: String, expires: DateTime<Utc>) {
        self.copy().jtis.insert(jti, expires);
    }
}

impl Jwt {
    /// Whether the access token with `jti` was revoked, as far as this
    /// process's copy (at most `revocation_interval` old) knows.
    pub(crate) async fn is_revoked(&self, db: &Db, jti: &str) -> aksara::Result<bool> {
        self.revoked.contains(db, jti).await
    }

    /// Logs out the login `token` belongs to (an access or a refresh token of
    /// this `Jwt`): the refresh tokens of that login (every one rotated from the
    /// same login) stop working, and so do its access tokens until they
    /// expire: at once in this process, within `revocation_interval` in the
    /// others (see the [module docs](super)). Given an access token, its `jti`
    /// is revoked even if it belongs to no recorded login
    /// ([`create_access_token`](Self::create_access_token)).
    ///
    /// An expired token needs no revocation: `Ok` without a write.
    ///
    /// # Errors
    /// [`JwtError::Invalid`] for a token this `Jwt` would not accept (bad
    /// signature, foreign issuer, …), [`JwtError::Database`].
    ///
    /// ```
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm, JwtError};
    /// # use aksara_auth::{prelude::*, User};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.migrate().await?;
    /// # let user = User::objects().create().email("ann@example.com").password("correct horse").exec(&db).await?;
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32])?;
    /// let pair = jwt.issue_pair(&db, &user).await?;
    /// jwt.revoke(&db, &pair.access).await?; // the access token of the login…
    /// // …ends its refresh token too.
    /// assert!(matches!(jwt.refresh::<User>(&db, &pair.refresh).await, Err(JwtError::Revoked)));
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, db: &Db, token: &str) -> Result<(), JwtError> {
        match self.decode_any(token) {
            Ok(claims) => self.revoke_claims(db, &claims).await,
            Err(JwtError::Expired) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// [`revoke`](Self::revoke) for a token already verified: a logout handler
    /// behind [`JwtAuthentication`](super::JwtAuthentication) has its claims as
    /// the authentication's info.
    ///
    /// # Errors
    /// [`JwtError::Database`].
    ///
    /// ```
    /// use aksara_auth::jwt::{Claims, Jwt};
    /// use aksara_auth::prelude::*;
    /// use aksara_auth::User;
    ///
    /// #[login_required]
    /// async fn logout_view(
    ///     user: RequestUser<User>,
    ///     db: Db,
    ///     axum::Extension(jwt): axum::Extension<Jwt>,
    /// ) -> Result<&'static str, ApiError> {
    ///     if let Some(claims) = user.authentication().and_then(|auth| auth.info::<Claims>()) {
    ///         jwt.revoke_claims(&db, claims).await?;
    ///     }
    ///     Ok("logged out")
    /// }
    /// ```
    pub async fn revoke_claims(&self, db: &Db, claims: &Claims) -> Result<(), JwtError> {
        match claims.token_type {
            TokenType::Access => {
                self.revoke_access(db, &claims.jti, self.accepted_until(claims))
                    .await?;
            }
            TokenType::Refresh => {}
        }
        // The login the token belongs to: the row of the refresh token, or of
        // the one the access token was issued with.
        let issued_with = match claims.token_type {
            TokenType::Access => IssuedRefreshToken::ACCESS_JTI.eq(claims.jti.as_str()),
            TokenType::Refresh => IssuedRefreshToken::JTI.eq(claims.jti.as_str()),
        };
        let row = IssuedRefreshToken::objects()
            .filter(issued_with)
            .first(db)
            .await?;
        if let Some(row) = row {
            self.revoke_logins(db, IssuedRefreshToken::FAMILY.eq(row.family.as_str()))
                .await?;
        }
        Ok(())
    }

    /// Logs `user` out everywhere: every refresh token of theirs stops working,
    /// and the access tokens issued with them until they expire (within
    /// `revocation_interval` in other processes). Returns how many refresh
    /// tokens were revoked. (A password change does the same through the `ver`
    /// claim.)
    ///
    /// # Errors
    /// [`JwtError::Database`].
    ///
    /// ```
    /// # use aksara_auth::jwt::{Jwt, JwtAlgorithm};
    /// # use aksara_auth::{prelude::*, User};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # db.migrate().await?;
    /// # let user = User::objects().create().email("ann@example.com").password("correct horse").exec(&db).await?;
    /// let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32])?;
    /// let phone = jwt.issue_pair(&db, &user).await?;
    /// let laptop = jwt.issue_pair(&db, &user).await?;
    /// assert_eq!(jwt.revoke_user(&db, &user).await?, 2);
    /// assert!(jwt.refresh::<User>(&db, &laptop.refresh).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn revoke_user<U: AuthUser>(&self, db: &Db, user: &U) -> Result<u64, JwtError> {
        Ok(self
            .revoke_logins(db, IssuedRefreshToken::USER_ID.eq(UserId::of(user)))
            .await?)
    }

    /// Revokes the refresh tokens matching `which` and the live access tokens
    /// issued with them; returns how many refresh tokens it revoked.
    pub(crate) async fn revoke_logins(
        &self,
        db: &Db,
        which: Filter<IssuedRefreshToken>,
    ) -> aksara::Result<u64> {
        let now = Utc::now();
        let revoked = IssuedRefreshToken::objects()
            .filter(which.clone())
            .filter(IssuedRefreshToken::REVOKED_AT.is_null(true))
            .update(db, IssuedRefreshToken::REVOKED_AT.set(now))
            .await?;
        let live = IssuedRefreshToken::objects()
            .filter(which)
            .filter(IssuedRefreshToken::ACCESS_EXPIRES_AT.gt(now))
            .all(db)
            .await?;
        for row in live {
            if let (Some(jti), Some(expires)) = (row.access_jti, row.access_expires_at) {
                self.revoke_access(db, &jti, expires).await?;
            }
        }
        Ok(revoked)
    }

    /// Adds access token `jti` to the table and to this process's copy.
    async fn revoke_access(
        &self,
        db: &Db,
        jti: &str,
        expires: DateTime<Utc>,
    ) -> aksara::Result<()> {
        let inserted = RevokedToken::objects()
            .create()
            .jti(jti)
            .revoked_at(Utc::now())
            .expires_at(expires)
            .exec(db)
            .await;
        match inserted {
            // Revoked before (a logout, then a reuse of the same login): one row.
            Ok(_) | Err(aksara::Error::Unique { .. }) => {}
            Err(error) => return Err(error),
        }
        self.revoked.insert(jti.to_owned(), expires);
        Ok(())
    }
}

/// Deletes the refresh tokens and revoked access tokens that have expired (a
/// token past its expiry is refused anyway); returns how many rows. Run it from
/// a job, or start [`spawn_purge_task`].
///
/// # Errors
/// A database error.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = aksara::Db::connect("sqlite::memory:").await?;
/// db.migrate().await?;
/// assert_eq!(aksara_auth::jwt::purge_expired(&db).await?, 0);
/// # Ok(()) }
/// ```
pub async fn purge_expired(db: &Db) -> aksara::Result<u64> {
    let now = Utc::now();
    let refresh = IssuedRefreshToken::objects()
        .filter(IssuedRefreshToken::EXPIRES_AT.lte(now))
        .delete(db)
        .await?;
    let revoked = RevokedToken::objects()
        .filter(RevokedToken::EXPIRES_AT.lte(now))
        .delete(db)
        .await?;
    Ok(refresh + revoked)
}

/// Runs [`purge_expired`] every `every` (at least a second), in a Tokio task,
/// until the returned handle is aborted or the runtime stops, as
/// [`SessionLayer::spawn_purge_task`](crate::SessionLayer::spawn_purge_task)
/// does for sessions. Failures are logged and retried at the next tick.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = aksara::Db::connect("sqlite::memory:").await?;
/// db.migrate().await?;
/// let purge = aksara_auth::jwt::spawn_purge_task(db.clone(), std::time::Duration::from_secs(3600));
/// // … serve the app …
/// purge.abort();
/// # Ok(()) }
/// ```
#[must_use = "dropping the handle keeps the task running; keep it to stop the task"]
pub fn spawn_purge_task(db: Db, every: Duration) -> tokio::task::JoinHandle<()> {
    let period = every.max(Duration::from_secs(1));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match purge_expired(&db).await {
                Ok(purged) => {
                    tracing::debug!(target: "aksara_auth::jwt", purged, "expired refresh and revoked tokens purged");
                }
                Err(error) => {
                    tracing::warn!(target: "aksara_auth::jwt", %error, "purging expired tokens failed");
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::JwtAlgorithm;

    #[tokio::test]
    async fn a_new_copy_holds_every_unexpired_revocation_and_forgets_expired_ones() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        let jwt = Jwt::hmac(JwtAlgorithm::Hs256, &[7; 32]).unwrap();
        let now = Utc::now();
        jwt.revoke_access(&db, "live", now + chrono::Duration::minutes(1))
            .await
            .unwrap();
        jwt.revoke_access(&db, "expired", now - chrono::Duration::seconds(1))
            .await
            .unwrap();
        // Added to this instance's copy at once, before any read.
        assert!(jwt.revoked.copy().jtis.contains_key("expired"));

        // An instance started after the revocations (a restart, a new machine)
        // has them from its first read.
        let started_later = RevocationList::new(Duration::from_secs(60));
        assert!(started_later.contains(&db, "live").await.unwrap());
        assert!(!started_later.contains(&db, "expired").await.unwrap());
        assert!(!started_later.contains(&db, "never revoked").await.unwrap());

        // The revoking instance's first read forgets what has expired.
        assert!(jwt.is_revoked(&db, "live").await.unwrap());
        assert!(!jwt.revoked.copy().jtis.contains_key("expired"));

        // Revoking again is one row, not an error.
        jwt.revoke_access(&db, "live", now + chrono::Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(RevokedToken::objects().count(&db).await.unwrap(), 2);
    }
}
