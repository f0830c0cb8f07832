//! How an [`Aksara`](super::Aksara) app runs: the [`Db`] and [`Settings`]
//! extensions and the app-wide layers around the app's router, as one service,
//! [`AppService`].
//!
//! Served, the layers wrap the router, not each route as `Router::layer` does:
//! axum keeps every layered route as a boxed service that it clones for each
//! request, so a layer over the routes adds one more clone and boxed future per
//! request (see BENCHMARKS.md, "Requests per second through the web layers").
//! Around the router, the layers run once per request, before routing, like
//! Django's `MIDDLEWARE`, and the router is called directly.
//!
//! Turned into a router to nest or merge, the app needs its routes to stay routes
//! (so that an outer `route_layer` covers them and merging keeps them), so there
//! the same extensions and layers go over each route instead ([`AppStack`]),
//! after routing.
//!
//! Composing the layers statically would put their types into `Aksara`'s type, so
//! a function could no longer return an `Aksara` by name. Instead they form one
//! chain behind an `Arc`, and each costs one boxed future per request, as does the
//! router's own future when there is a layer at all ([`RoutingFuture`] says why).
//! An app without layers answers with the router's future as it is
//! ([`AppFuture`]).

use std::any::Any;
use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::Route;
use axum::routing::future::RouteFuture;
use axum::serve::{IncomingStream, Listener};
use axum::{BoxError, Router};
use tower::{Layer, Service};

use crate::{Db, Settings};

/// What a layer given to [`Aksara::middleware`](super::Aksara::middleware) wraps: the
/// app's routing, behind the app-wide layers added after that one. It plays the
/// part `axum::routing::Route` plays for `Router::layer`; any layer generic over
/// its inner service (tower's, tower-http's, `axum::middleware::from_fn`, the
/// layers of `aksara-auth`) accepts it. Clones are cheap and share the chain.
///
/// ```
/// use aksara::web::Routing;
/// use tower::Layer;
///
/// // A layer for app-wide use only has to accept a `Routing`:
/// fn is_app_layer<L: Layer<Routing>>(_: &L) {}
/// is_app_layer(&tower::layer::util::Identity::new());
/// ```
#[derive(Clone)]
pub struct Routing {
    call: Arc<dyn Call>,
}

impl std::fmt::Debug for Routing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routing").finish_non_exhaustive()
    }
}

/// One link of the chain, callable through a shared reference.
trait Call: Send + Sync {
    fn call(&self, request: Request) -> RoutingFuture;

    /// The link called first by an [`AppService`]: the router's future is then
    /// returned as it is, without a box.
    fn call_first(&self, request: Request) -> AppFuture {
        AppFuture {
            state: AppFutureState::Layers {
                future: self.call(request),
            },
        }
    }
}

impl Routing {
    /// The innermost link: the app's router.
    fn router(router: Router) -> Self {
        Self {
            call: Arc::new(RouterLink(router)),
        }
    }

    /// `self` behind `layers`, outermost first.
    fn behind(mut self, layers: &[Arc<dyn AppLayer>]) -> Self {
        for layer in layers.iter().rev() {
            self = layer.wrap(self);
        }
        self
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

impl<B> Service<Request<B>> for Routing
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RoutingFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> RoutingFuture {
        self.call.call(request.map(Body::new))
    }
}

/// The response future of a [`Routing`]: the boxed future of the next link.
///
/// ```
/// use aksara::web::{Routing, RoutingFuture};
/// use tower::Service;
///
/// // What a layer's inner service returns when the layer runs app-wide:
/// fn next_link(routing: &mut Routing, request: axum::extract::Request) -> RoutingFuture {
///     routing.call(request)
/// }
/// ```
///
/// It is kept to one pointer on purpose. Each app-wide layer's future holds the
/// future of the link inside it and is itself moved into a box, so a large
/// future here (the router's own is about 300 bytes) would be copied again at
/// every layer; one more allocation for the router's future costs less.
pub struct RoutingFuture {
    future: Pin<Box<dyn Future<Output = Response> + Send>>,
}

impl std::fmt::Debug for RoutingFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutingFuture").finish_non_exhaustive()
    }
}

impl RoutingFuture {
    fn boxed(future: impl Future<Output = Response> + Send + 'static) -> Self {
        Self {
            future: Box::pin(future),
        }
    }
}

impl Future for RoutingFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.as_mut().poll(cx).map(Ok)
    }
}

pin_project_lite::pin_project! {
    /// The response future of an [`AppService`]: the router's own future when the
    /// app has no app-wide layer, the first layer's otherwise.
    ///
    /// ```
    /// use aksara::web::AppFuture;
    /// use tower::Service;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let mut app = aksara::Aksara::new(db)
    ///     .route("/", axum::routing::get(|| async { "hi" }))
    ///     .into_service();
    /// let request = axum::http::Request::get("/").body(axum::body::Body::empty()).unwrap();
    /// let future: AppFuture = app.call(request);
    /// assert_eq!(future.await.unwrap().status(), 200);
    /// # Ok(()) }
    /// ```
    pub struct AppFuture {
        #[pin]
        state: AppFutureState,
    }
}

pin_project_lite::pin_project! {
    #[project = AppFutureProjection]
    enum AppFutureState {
        Router {
            #[pin]
            future: RouteFuture<Infallible>,
        },
        Layers {
            future: RoutingFuture,
        },
    }
}

impl std::fmt::Debug for AppFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppFuture").finish_non_exhaustive()
    }
}

impl Future for AppFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            AppFutureProjection::Router { future } => future.poll(cx),
            AppFutureProjection::Layers { future } => Pin::new(future).poll(cx),
        }
    }
}

/// The router link, innermost when served: boxed behind layers, as it is when
/// called first. `Router::call` takes `&mut self`; a clone costs one `Arc` count.
struct RouterLink(Router);

impl RouterLink {
    fn route(&self, request: Request) -> RouteFuture<Infallible> {
        Service::call(&mut self.0.clone(), request)
    }
}

impl Call for RouterLink {
    fn call(&self, request: Request) -> RoutingFuture {
        RoutingFuture::boxed(Respond {
            future: self.route(request),
        })
    }

    fn call_first(&self, request: Request) -> AppFuture {
        AppFuture {
            state: AppFutureState::Router {
                future: self.route(request),
            },
        }
    }
}

/// Any other link: a layer's service around the next link, or, in an app turned
/// into a router, the route itself (`Route` is a service; that path is not the
/// one `serve` takes).
struct ServiceLink<T>(T);

impl<T> Call for ServiceLink<T>
where
    T: Service<Request> + Clone + Send + Sync + 'static,
    T::Response: IntoResponse,
    T::Error: Into<Infallible>,
    T::Future: Send,
{
    fn call(&self, request: Request) -> RoutingFuture {
        let mut service = self.0.clone();
        // Services are nearly always ready. Asking once without a waker lets the
        // common case call at once, so the boxed future holds only the service's
        // future, not the request and the service as well: 0.36 k instructions
        // per anonymous request under callgrind (BENCHMARKS.md, 2026-12-07). If it
        // is not ready, the future below asks again with the task's waker.
        match service.poll_ready(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(())) => RoutingFuture::boxed(Respond {
                future: service.call(request),
            }),
            // `E: Into<Infallible>`: there is no such error.
            #[expect(unreachable_code)]
            Poll::Ready(Err(error)) => never(error.into()),
            Poll::Pending => RoutingFuture::boxed(async move {
                if let Err(error) = poll_fn(|cx| service.poll_ready(cx)).await {
                    return never(error.into());
                }
                respond(service.call(request).await)
            }),
        }
    }
}

pin_project_lite::pin_project! {
    /// A service's future, answering with its response. (An `async` block would do
    /// the same, but copies the future once more when first polled.)
    struct Respond<F> {
        #[pin]
        future: F,
    }
}

impl<F, R, E> Future for Respond<F>
where
    F: Future<Output = Result<R, E>>,
    R: IntoResponse,
    E: Into<Infallible>,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        self.project().future.poll(cx).map(respond)
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

/// A layer given to [`Aksara::middleware`](super::Aksara::middleware), applied when the app
/// is built.
pub(super) trait AppLayer: Send + Sync {
    fn wrap(&self, inner: Routing) -> Routing;
}

impl<L> AppLayer for L
where
    L: Layer<Routing> + Send + Sync,
    L::Service: Service<Request> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request>>::Response: IntoResponse,
    <L::Service as Service<Request>>::Error: Into<Infallible>,
    <L::Service as Service<Request>>::Future: Send,
{
    fn wrap(&self, inner: Routing) -> Routing {
        Routing::service(self.layer(inner))
    }
}

/// An [`Aksara`](super::Aksara) app as one service, from
/// [`Aksara::into_service`](super::Aksara::into_service): it adds the [`Db`] (and
/// [`Settings`]) extensions, runs the app-wide layers, outermost first, then the
/// router. `axum::serve` takes it as it takes a router, and then gives handlers
/// `ConnectInfo<SocketAddr>` on a TCP listener; clones are cheap.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = aksara::Db::connect("sqlite::memory:").await?;
/// let app = aksara::Aksara::new(db).route("/", axum::routing::get(|| async { "hi" }));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// axum::serve(listener, app.into_service()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AppService {
    /// Behind one `Arc`: hyper clones the service for every request, and one
    /// reference count costs less than one per field.
    app: Arc<AppShared>,
    /// The peer of the connection this clone serves, when served over TCP.
    peer: Option<ConnectInfo<SocketAddr>>,
}

/// What every clone of an [`AppService`] shares.
struct AppShared {
    db: Db,
    settings: Option<Arc<Settings>>,
    routing: Routing,
}

impl std::fmt::Debug for AppService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppService")
            .field("db", &self.app.db)
            .finish_non_exhaustive()
    }
}

/// The extensions and app-wide layers of an [`Aksara`](super::Aksara): around its
/// whole router when served ([`AppStack::service`]), or, as the one axum layer of
/// an app turned into a router, over each route, after routing.
#[derive(Clone)]
pub(super) struct AppStack {
    pub(super) db: Db,
    pub(super) settings: Option<Arc<Settings>>,
    pub(super) layers: Arc<[Arc<dyn AppLayer>]>,
}

impl AppStack {
    /// The app as one service around `router`.
    pub(super) fn service(&self, router: Router) -> AppService {
        // As `axum::serve` does: turn every handler into its service once, not
        // on each request.
        self.around(Routing::router(router.with_state(())))
    }

    /// `innermost` behind the layers (outermost first), with the extensions.
    fn around(&self, innermost: Routing) -> AppService {
        AppService {
            app: Arc::new(AppShared {
                db: self.db.clone(),
                settings: self.settings.clone(),
                routing: innermost.behind(&self.layers),
            }),
            peer: None,
        }
    }
}

impl Layer<Route> for AppStack {
    type Service = AppService;

    fn layer(&self, route: Route) -> AppService {
        self.around(Routing::service(route))
    }
}

impl<B> Service<Request<B>> for AppService
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AppFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> AppFuture {
        let mut request = request.map(Body::new);
        let app = &*self.app;
        let extensions = request.extensions_mut();
        extensions.insert(app.db.clone());
        if let Some(settings) = &app.settings {
            extensions.insert(Arc::clone(settings));
        }
        if let Some(peer) = self.peer {
            extensions.insert(peer);
        }
        app.routing.call.call_first(request)
    }
}

/// For `axum::serve(listener, app.into_service())`: each connection gets a clone,
/// which gives handlers `ConnectInfo<SocketAddr>` when the listener is TCP. (It is
/// added with the other extensions rather than by axum's
/// `into_make_service_with_connect_info`, which would wrap the app in one more
/// service.)
impl<L: Listener> Service<IncomingStream<'_, L>> for AppService {
    type Response = Self;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, connection: IncomingStream<'_, L>) -> Self::Future {
        let peer = (connection.remote_addr() as &dyn Any).downcast_ref::<SocketAddr>();
        std::future::ready(Ok(Self {
            app: Arc::clone(&self.app),
            peer: peer.copied().map(ConnectInfo),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A router answering "hi" on `GET /`.
    fn hello_router() -> Router {
        Router::new().route("/", axum::routing::get(|| async { "hi" }))
    }

    fn get_root() -> Request {
        Request::get("/").body(Body::empty()).unwrap()
    }

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// The `Route` axum gives a layer for `GET /` answering "hi".
    fn hello_route() -> Route {
        #[derive(Clone)]
        struct Capture(Arc<std::sync::Mutex<Option<Route>>>);
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
        let _router: Router = Router::new()
            .route_service("/", hello)
            .route_layer(captured.clone());
        captured.0.lock().unwrap().take().unwrap()
    }

    #[tokio::test]
    async fn a_route_link_answers_every_request() {
        let link = Routing::service(hello_route());
        for _ in 0..2 {
            let response = link.clone().call(get_root()).await.unwrap();
            assert_eq!(body(response).await, "hi");
        }
    }

    /// A service that is not ready until `open` is set, then wakes whoever asked.
    #[derive(Clone)]
    struct Gate<S> {
        inner: S,
        open: Arc<std::sync::atomic::AtomicBool>,
        waiting: Arc<std::sync::Mutex<Option<std::task::Waker>>>,
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
        let waiting = Arc::new(std::sync::Mutex::new(None::<std::task::Waker>));
        let gate = Gate {
            inner: Routing::router(hello_router()),
            open: Arc::clone(&open),
            waiting: Arc::clone(&waiting),
        };
        let future = Routing::service(gate).call(get_root());
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
    async fn the_layers_see_the_database_and_run_before_routing() {
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
        let mut app = stack.service(hello_router());
        let response = app.call(get_root()).await.unwrap();
        assert_eq!(response.headers()["x-seen"], "tag(db=true)");
        assert_eq!(body(response).await, "hi");

        // A path no route matches still goes through the layers.
        let missing = Request::get("/missing").body(Body::empty()).unwrap();
        let response = app.call(missing).await.unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()["x-seen"], "tag(db=true)");
    }

    #[tokio::test]
    async fn without_layers_the_router_answers_directly() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let stack = AppStack {
            db,
            settings: None,
            layers: Arc::new([]),
        };
        let mut app = stack.service(hello_router());
        let future = app.call(get_root());
        assert!(matches!(future.state, AppFutureState::Router { .. }));
        assert_eq!(body(future.await.unwrap()).await, "hi");
    }
}
