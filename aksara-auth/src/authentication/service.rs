//! [`AuthenticationService`] and [`AuthenticationFuture`]: the tower service
//! that resolves the request's user (see [`resolve`](super::resolve)) before the
//! handler runs.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use aksara::ApiError;
use axum::http::Request;
use axum::response::{IntoResponse, Response};
use tower::Service;

use super::extract::AuthStatus;
use super::resolve::Shared;
use crate::AuthUser;
use crate::request::RequestAuth;

/// The service [`AuthenticationLayer`](super::AuthenticationLayer) wraps around the routes.
///
/// ```
/// use aksara_auth::authentication::{AuthenticationLayer, AuthenticationService};
/// use tower::Layer;
/// let service: AuthenticationService<aksara_auth::User, _> = AuthenticationLayer::new()
///     .layer(tower::service_fn(|_: http::Request<axum::body::Body>| async {
///         Ok::<_, std::convert::Infallible>("hi")
///     }));
/// ```
pub struct AuthenticationService<U, S> {
    pub(super) inner: S,
    pub(super) shared: Arc<Shared<U>>,
    pub(super) user: PhantomData<fn() -> U>,
}

impl<U, S: Clone> Clone for AuthenticationService<U, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
            user: PhantomData,
        }
    }
}

impl<U, S> fmt::Debug for AuthenticationService<U, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationService")
            .finish_non_exhaustive()
    }
}

impl<U, S, B> Service<Request<B>> for AuthenticationService<U, S>
where
    U: AuthUser,
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Error: Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = AuthenticationFuture<S::Future, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (mut parts, body) = request.into_parts();
        if !self.shared.may_have_credential(&parts) {
            // Anonymous at a glance: the handler runs at once.
            if self.shared.lacks_database(&parts) {
                return AuthenticationFuture::ready(ApiError::internal().into_response());
            }
            // Anonymous requests still get their login-CSRF mark: a login
            // handler on this request must refuse a cross-site form.
            crate::csrf::mark_cross_site_anonymous(&parts, &self.shared.trusted_origins);
            RequestAuth::slot(&mut parts.extensions).status = Some(AuthStatus::anonymous::<U>(
                Arc::clone(&self.shared.challenges),
            ));
            return AuthenticationFuture {
                state: FutureState::Handler {
                    inner: self.inner.call(Request::from_parts(parts, body)),
                },
            };
        }
        // The clone is not ready; the instance that was polled ready is the one used.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = Arc::clone(&self.shared);
        let future = async move {
            if let Err(response) = shared.resolve(&mut parts).await {
                return Ok(response);
            }
            let response = inner.call(Request::from_parts(parts, body)).await?;
            Ok(response.into_response())
        };
        AuthenticationFuture {
            state: FutureState::Boxed {
                future: Box::pin(future),
            },
        }
    }
}

type BoxedResponse<E> = Pin<Box<dyn Future<Output = Result<Response, E>> + Send>>;

pin_project_lite::pin_project! {
    /// The response future of [`AuthenticationService`].
    pub struct AuthenticationFuture<F, E> {
        #[pin]
        state: FutureState<F, E>,
    }
}

pin_project_lite::pin_project! {
    #[project = FutureStateProjection]
    enum FutureState<F, E> {
        /// No credential: the handler runs.
        Handler {
            #[pin]
            inner: F,
        },
        /// Authenticating, then the handler.
        Boxed {
            future: BoxedResponse<E>,
        },
        /// Refused before the handler.
        Ready {
            response: Option<Response>,
        },
        Done,
    }
}

impl<F, E> AuthenticationFuture<F, E> {
    fn ready(response: Response) -> Self {
        Self {
            state: FutureState::Ready {
                response: Some(response),
            },
        }
    }
}

impl<F, E> fmt::Debug for AuthenticationFuture<F, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationFuture")
            .finish_non_exhaustive()
    }
}

impl<F, R, E> Future for AuthenticationFuture<F, E>
where
    F: Future<Output = Result<R, E>>,
    R: IntoResponse,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        let output = match state.as_mut().project() {
            FutureStateProjection::Handler { inner } => {
                std::task::ready!(inner.poll(cx)).map(IntoResponse::into_response)
            }
            FutureStateProjection::Boxed { future } => std::task::ready!(future.as_mut().poll(cx)),
            FutureStateProjection::Ready { response } => match response.take() {
                Some(response) => Ok(response),
                None => panic!("AuthenticationFuture polled after completion"),
            },
            FutureStateProjection::Done => panic!("AuthenticationFuture polled after completion"),
        };
        state.set(FutureState::Done);
        Poll::Ready(output)
    }
}
