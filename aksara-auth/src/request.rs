//! [`RequestAuth`]: what the session and authentication layers keep for one
//! request, in one request extension.

use http::Extensions;

use crate::authentication::AuthStatus;
use crate::session::Session;

/// The request's session (from [`SessionLayer`](crate::SessionLayer)) and
/// authentication status (from [`AuthenticationLayer`](crate::AuthenticationLayer)).
///
/// One extension rather than one each: every extension costs an allocation, a map
/// insert and a drop, on every request, anonymous ones included.
#[derive(Clone, Default)]
pub(crate) struct RequestAuth {
    pub(crate) session: Option<Session>,
    pub(crate) status: Option<AuthStatus>,
}

impl RequestAuth {
    /// The request's slot, added by whichever layer runs first.
    pub(crate) fn slot(extensions: &mut Extensions) -> &mut Self {
        extensions.get_or_insert_default()
    }

    /// The session [`SessionLayer`](crate::SessionLayer) gave the request.
    pub(crate) fn session(extensions: &Extensions) -> Option<&Session> {
        extensions.get::<Self>()?.session.as_ref()
    }

    /// The status [`AuthenticationLayer`](crate::AuthenticationLayer) gave the
    /// request.
    pub(crate) fn status(extensions: &Extensions) -> Option<&AuthStatus> {
        extensions.get::<Self>()?.status.as_ref()
    }
}
