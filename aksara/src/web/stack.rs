//! How [`Aksara`](super::Aksara) runs its app-wide layers: all of them, and the
//! [`Db`] and [`Settings`] extensions, as one axum layer over each route.
//!
//! On a plain router every `.layer(..)` boxes the service again and each request
//! pays for it: a clone of the boxed service and a boxed future per layer (see
//! BENCHMARKS.md, "Requests per second through the web layers"). Composing the
//! layers statically would avoid that but put their types into `Aksara`'s type, so
//! a function could no longer return an `Aksara` by name. This module keeps the
//! type plain and the cost small: the layers form one chain behind an `Arc`, built
//! whenever axum turns a route into a service (for each method and fallback when
//! the router gets its state; on every request for a `Router<()>` driven without
//! `with_state`, as axum does for all its layers), and each layer costs one boxed
//! future per request.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, TryLockError};
use std::task::{Context, Poll, Waker};

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::Route;
use axum::routing::future::RouteFuture;
use tower::{Layer, Service};

use crate::{Db, Settings};

/// What a layer given to [`Aksara::layer`](super::Aksara::layer) wraps: the
/// matched route, behind the app-wide layers added after that one. It plays the
/// part `axum::routing::Route` plays for `Router::layer`; any layer generic over
/// its inner service (tower's, tower-http's, `axum::middleware::from_fn`, the
/// layers of `aksara-auth`) accepts it. Clones are cheap and share the chain.
///
/// ```
/// use aksara::web::AppRoute;
/// use tower::Layer;
///
/// // A layer for app-wide use only has to accept an `AppRoute`:
/// fn is_app_layer<L: Layer<AppRoute>>(_: &L) {}
/// is_app_layer(&tower::layer::util::Identity::new());
/// ```
#[derive(Clone)]
pub struct AppRoute {
    call: Arc<dyn Call>,
}

impl std::fmt::Debug for AppRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppRoute").finish_non_exhaustive()
    }
}

/// One link of the chain, callable through a shared reference.
trait Call: Send + Sync {
    fn call(&self, request: Request) -> AppRouteFuture;
}

impl AppRoute {
    /// The innermost link: the route axum matched.
    fn route(route: Route) -> Self {
        Self {
            call: Arc::new(RouteLink {
                route: Mutex::new(route.clone()),
                spare: route,
            }),
        }
    }

    /// A link for any service, such as a layer's service around the next link.
    fn service<T>(service: T) -> Self
    where
        T: Service<Request> + Clone + Send + Sync + 'static,
        T::Response: IntoResponse,
        T::Error: Into<Infallible>,
        T::Future: Send,
    {
        Self {
            call: Arc::new(ServiceLink(service)),
        }
    }
}

impl<B> Service<Request<B>> for AppRoute
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AppRouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> AppRouteFuture {
        self.call.call(request.map(Body::new))
    }
}

/// The response future of an [`AppRoute`]. It is boxed even for the route
/// itself: axum's route future holds the whole request until first polled, and
/// each layer's future holds its inner one, so an unboxed one would be copied
/// (some 300 bytes) at every layer, which costs more than the allocation.
pub struct AppRouteFuture {
    inner: Pin<Box<dyn Future<Output = Response> + Send>>,
}

impl std::fmt::Debug for AppRouteFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppRouteFuture").finish_non_exhaustive()
    }
}

impl Future for AppRouteFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx).map(Ok)
    }
}

/// The route link. `Route::call` takes `&mut self` but only clones the boxed
/// service it holds and calls the clone, so one `Route` can serve every request
/// through a lock held for that clone; a shared reference would need a clone of
/// its own first, a second allocation per request. When another request holds
/// the lock, the spare is cloned instead of waiting.
struct RouteLink {
    route: Mutex<Route>,
    spare: Route,
}

impl Call for RouteLink {
    fn call(&self, request: Request) -> AppRouteFuture {
        let future: RouteFuture<Infallible> = match self.route.try_lock() {
            Ok(mut route) => route.call(request),
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner().call(request),
            Err(TryLockError::WouldBlock) => self.spare.clone().call(request),
        };
        AppRouteFuture::boxed(async move { respond(future.await) })
    }
}

struct ServiceLink<T>(T);

impl<T> Call for ServiceLink<T>
where
    T: Service<Request> + Clone + Send + Sync + 'static,
    T::Response: IntoResponse,
    T::Error: Into<Infallible>,
    T::Future: Send,
{
    fn call(&self, request: Request) -> AppRouteFuture {
        let mut service = self.0.clone();
        // Services are nearly always ready. Asking once without a waker lets the
        // common case call at once, so the boxed future holds only the service's
        // future, not the request and the service as well. If it is not ready,
        // the future below asks again with the task's waker.
        match service.poll_ready(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(())) => {
                let future = service.call(request);
                AppRouteFuture::boxed(async move { respond(future.await) })
            }
            // `E: Into<Infallible>`: there is no such error.
            #[expect(unreachable_code)]
            Poll::Ready(Err(error)) => never(error.into()),
            Poll::Pending => AppRouteFuture::boxed(async move {
                if let Err(error) = poll_fn(|cx| service.poll_ready(cx)).await {
                    return never(error.into());
                }
                respond(service.call(request).await)
            }),
        }
    }
}

/// The error of a service that cannot fail.
fn never<T>(error: Infallible) -> T {
    match error {}
}

/// The response of a service that cannot fail.
fn respond<R: IntoResponse, E: Into<Infallible>>(result: Result<R, E>) -> Response {
    match result {
        Ok(response) => response.into_response(),
        // `E: Into<Infallible>`: there is no such error.
        #[expect(unreachable_code)]
        Err(error) => never(error.into()),
    }
}

impl AppRouteFuture {
    fn boxed(future: impl Future<Output = Response> + Send + 'static) -> Self {
        Self {
            inner: Box::pin(future),
        }
    }
}

/// A layer given to [`Aksara::layer`](super::Aksara::layer), applied when the app
/// is built.
pub(super) trait AppLayer: Send + Sync {
    fn wrap(&self, inner: AppRoute) -> AppRoute;
}

impl<L> AppLayer for L
where
    L: Layer<AppRoute> + Send + Sync,
    L::Service: Service<Request> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request>>::Response: IntoResponse,
    <L::Service as Service<Request>>::Error: Into<Infallible>,
    <L::Service as Service<Request>>::Future: Send,
{
    fn wrap(&self, inner: AppRoute) -> AppRoute {
        AppRoute::service(self.layer(inner))
    }
}

/// The one axum layer an [`Aksara`](super::Aksara) app puts over each route: the
/// extensions, then the app-wide layers, outermost first.
#[derive(Clone)]
pub(super) struct AppStack {
    pub(super) db: Db,
    pub(super) settings: Option<Arc<Settings>>,
    pub(super) layers: Arc<[Arc<dyn AppLayer>]>,
}

impl Layer<Route> for AppStack {
    type Service = AppEntry;

    fn layer(&self, route: Route) -> AppEntry {
        let mut inner = AppRoute::route(route);
        for layer in self.layers.iter().rev() {
            inner = layer.wrap(inner);
        }
        AppEntry {
            db: self.db.clone(),
            settings: self.settings.clone(),
            inner,
        }
    }
}

/// The service [`AppStack`] puts in place of each route.
#[derive(Clone)]
pub(super) struct AppEntry {
    db: Db,
    settings: Option<Arc<Settings>>,
    inner: AppRoute,
}

impl Service<Request> for AppEntry {
    type Response = Response;
    type Error = Infallible;
    type Future = AppRouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> AppRouteFuture {
        let extensions = request.extensions_mut();
        extensions.insert(self.db.clone());
        if let Some(settings) = &self.settings {
            extensions.insert(Arc::clone(settings));
        }
        self.inner.call.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `Route` axum gives a layer for `GET /` answering "hi".
    fn hello_route() -> Route {
        #[derive(Clone)]
        struct Capture(Arc<Mutex<Option<Route>>>);
        impl Layer<Route> for Capture {
            type Service = Route;
            fn layer(&self, route: Route) -> Route {
                self.0.lock().unwrap().get_or_insert_with(|| route.clone());
                route
            }
        }
        let captured = Capture(Arc::default());
        // A service route is a `Route` at once; a route layer leaves the fallback be.
        let hello =
            tower::service_fn(|_: Request| async { Ok::<_, Infallible>("hi".into_response()) });
        let _router: axum::Router = axum::Router::new()
            .route_service("/", hello)
            .route_layer(captured.clone());
        captured.0.lock().unwrap().take().unwrap()
    }

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_route_busy_with_another_request_is_called_through_its_spare() {
        let link = AppRoute::route(hello_route());
        let ready = link
            .clone()
            .call(Request::new(Body::empty()))
            .await
            .unwrap();
        assert_eq!(body(ready).await, "hi");

        let route = hello_route();
        let busy = RouteLink {
            route: Mutex::new(route.clone()),
            spare: route,
        };
        let future = {
            let _held = busy.route.lock().unwrap();
            Call::call(&busy, Request::new(Body::empty()))
        };
        let response = future.await.unwrap();
        assert_eq!(body(response).await, "hi");
    }

    /// A service that is not ready until `open` is set, then wakes whoever asked.
    #[derive(Clone)]
    struct Gate<S> {
        inner: S,
        open: Arc<std::sync::atomic::AtomicBool>,
        waiting: Arc<Mutex<Option<Waker>>>,
    }

    impl<S: Service<Request>> Service<Request> for Gate<S> {
        type Response = S::Response;
        type Error = S::Error;
        type Future = S::Future;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
            if self.open.load(std::sync::atomic::Ordering::SeqCst) {
                return self.inner.poll_ready(cx);
            }
            *self.waiting.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }

        fn call(&mut self, request: Request) -> S::Future {
            self.inner.call(request)
        }
    }

    #[tokio::test]
    async fn a_layer_that_is_not_ready_is_waited_for_with_the_task_waker() {
        let open = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let waiting = Arc::new(Mutex::new(None::<Waker>));
        let gate = Gate {
            inner: AppRoute::route(hello_route()),
            open: Arc::clone(&open),
            waiting: Arc::clone(&waiting),
        };
        let future = AppRoute::service(gate).call(Request::new(Body::empty()));
        let opener = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            open.store(true, std::sync::atomic::Ordering::SeqCst);
            // The waker from the first poll without a task would wake nobody.
            let waker = waiting.lock().unwrap().take().unwrap();
            waker.wake();
        });
        let response = tokio::time::timeout(std::time::Duration::from_secs(5), future)
            .await
            .expect("the gate's wake-up reached the request")
            .unwrap();
        assert_eq!(body(response).await, "hi");
        opener.await.unwrap();
    }

    #[tokio::test]
    async fn the_layers_see_the_database_the_entry_added() {
        use axum::middleware::{self, Next};

        async fn tag(request: Request, next: Next) -> Response {
            let has_db = request.extensions().get::<Db>().is_some();
            let mut response = next.run(request).await;
            let value = format!("tag(db={has_db})");
            response
                .headers_mut()
                .insert("x-seen", value.parse().unwrap());
            response
        }

        let db = Db::connect("sqlite::memory:").await.unwrap();
        let stack = AppStack {
            db,
            settings: None,
            layers: vec![Arc::new(middleware::from_fn(tag)) as Arc<dyn AppLayer>].into(),
        };
        let mut entry = stack.layer(hello_route());
        let response = entry.call(Request::new(Body::empty())).await.unwrap();
        assert_eq!(response.headers()["x-seen"], "tag(db=true)");
        assert_eq!(body(response).await, "hi");
    }
}
