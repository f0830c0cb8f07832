//! [`SessionService`] and [`SessionFuture`]: the tower service that opens the
//! session before the handler and carries out its [`Plan`] after it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use http::Request;
use tower::Service;

use super::cookie::CookieRead;
use super::handle::Session;
use super::lifecycle::{Config, Plan};
use crate::request::RequestAuth;

/// The service [`SessionLayer`](super::SessionLayer) wraps around a router or handler.
///
/// ```
/// use aksara_auth::session::{MemoryStore, SessionLayer, SessionService};
/// use tower::Layer;
/// let service: SessionService<_> = SessionLayer::new(MemoryStore::new())
///     .layer(tower::service_fn(|_: http::Request<()>| async { Ok::<_, std::convert::Infallible>("hi") }));
/// ```
#[derive(Clone)]
pub struct SessionService<S> {
    pub(super) inner: S,
    pub(super) config: Arc<Config>,
}

impl<S> std::fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService").finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for SessionService<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Error: Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = SessionFuture<S::Future, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let read = self.config.cookie.read(request.headers());
        if let CookieRead::Absent = read {
            // Nothing to load: the handler runs at once, and the store is touched
            // only if it puts something in the session.
            let session = Session::fresh();
            RequestAuth::slot(request.extensions_mut()).session = Some(session.clone());
            return SessionFuture {
                state: FutureState::Handler {
                    inner: self.inner.call(request),
                    session: Some(session),
                    config: Arc::clone(&self.config),
                },
            };
        }
        // The clone is not ready; the instance that was polled ready is the one used.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = Arc::clone(&self.config);
        // Only the load is boxed: the handler's future then runs in place, and the
        // box stays small (the whole request in one async block took 2 KiB, past
        // the allocator's fast sizes).
        let loading: Loading<S::Future> = Box::pin(async move {
            let session = config
                .open(read)
                .await
                .map_err(IntoResponse::into_response)?;
            RequestAuth::slot(request.extensions_mut()).session = Some(session.clone());
            Ok((inner.call(request), session, config))
        });
        SessionFuture {
            state: FutureState::Loading { future: loading },
        }
    }
}

type BoxedResponse<E> = Pin<Box<dyn Future<Output = Result<Response, E>> + Send>>;

/// Loads the session and calls the handler with it: the handler's future, the
/// session and the layer's settings, or the response to send instead (a 503 when
/// the store fails).
type Loading<F> = Pin<Box<dyn Future<Output = Result<(F, Session, Arc<Config>), Response>> + Send>>;

pin_project_lite::pin_project! {
    /// The response future of [`SessionService`].
    pub struct SessionFuture<F, E> {
        #[pin]
        state: FutureState<F, E>,
    }
}

pin_project_lite::pin_project! {
    #[project = FutureStateProjection]
    enum FutureState<F, E> {
        /// Loading the session the cookie names.
        Loading {
            future: Loading<F>,
        },
        /// The handler runs.
        Handler {
            #[pin]
            inner: F,
            session: Option<Session>,
            config: Arc<Config>,
        },
        /// Storing what the request changed.
        Storing {
            future: BoxedResponse<E>,
        },
        Done,
    }
}

impl<F, E> std::fmt::Debug for SessionFuture<F, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionFuture").finish_non_exhaustive()
    }
}

impl<F, R, E> Future for SessionFuture<F, E>
where
    F: Future<Output = Result<R, E>>,
    R: IntoResponse,
    E: Send + 'static,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            let (result, session, config) = match state.as_mut().project() {
                FutureStateProjection::Loading { future } => {
                    match std::task::ready!(future.as_mut().poll(cx)) {
                        Ok((inner, session, config)) => {
                            state.set(FutureState::Handler {
                                inner,
                                session: Some(session),
                                config,
                            });
                            continue;
                        }
                        Err(response) => {
                            state.set(FutureState::Done);
                            return Poll::Ready(Ok(response));
                        }
                    }
                }
                FutureStateProjection::Handler {
                    inner,
                    session,
                    config,
                } => {
                    let result = std::task::ready!(inner.poll(cx));
                    (result, session.take(), Arc::clone(config))
                }
                FutureStateProjection::Storing { future } => {
                    let output = std::task::ready!(future.as_mut().poll(cx));
                    state.set(FutureState::Done);
                    return Poll::Ready(output);
                }
                FutureStateProjection::Done => panic!("SessionFuture polled after completion"),
            };
            state.set(FutureState::Done);
            let (mut response, Some(session)) = (result?.into_response(), session) else {
                panic!("SessionFuture polled after completion");
            };
            let plan = config.finish(&session, response.headers_mut());
            if let Plan::Nothing = plan {
                return Poll::Ready(Ok(response));
            }
            let mut future: BoxedResponse<E> =
                Box::pin(async move { Ok(config.store(plan, response).await) });
            return match future.as_mut().poll(cx) {
                Poll::Ready(output) => Poll::Ready(output),
                Poll::Pending => {
                    state.set(FutureState::Storing { future });
                    Poll::Pending
                }
            };
        }
    }
}
