//! [`Aksara`]: the app builder over `axum::Router`.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, Route};
use tower::{Layer, Service};

use super::ApiError;
use super::stack::{AppLayer, AppService, AppStack, Routing};
use crate::{Db, Settings};

/// A route layer, applied by [`Aksara::into_service`].
type RouterStep = Box<dyn FnOnce(Router) -> Router + Send>;

/// The application: routes, middleware, the database handle and the settings,
/// served by [`Aksara::serve`], or turned into one service by
/// [`Aksara::into_service`] or into an `axum::Router` by [`Aksara::into_router`].
///
/// It is a thin layer over `axum::Router`; `route`, `nest`, `merge`, `fallback`
/// and `with_state` behave exactly as on a router. What it adds:
///
/// - the [`Db`] given to [`Aksara::new`] reaches every handler (`db: Db` or
///   `Extension<Db>`) and every middleware (request extensions);
/// - [`Aksara::middleware`] adds app-wide middleware (any tower `Layer`), like
///   Django's `MIDDLEWARE`: it sees every request before routing, whenever it
///   was added, and the first one added sees the request first. It is not
///   called `layer` because on a plain router `.layer` wraps only the routes
///   added before it, after routing, and the last one added runs first.
/// - unknown paths get a JSON 404 and wrong methods a JSON 405 (with `Allow`) in
///   the [`ApiError`] shape;
/// - [`Aksara::serve`] listens, logs the address and stops gracefully on Ctrl-C or
///   SIGTERM, refusing to start outside debug mode when the settings given to
///   [`Aksara::settings`] have a weak secret key.
///
/// ```
/// use aksara::{Aksara, Db};
/// use axum::{Json, routing::get};
/// use tower::ServiceExt;
///
/// async fn health(db: Db) -> Json<serde_json::Value> {
///     Json(serde_json::json!({ "backend": format!("{:?}", db.backend()) }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// let app = Aksara::new(db)
///     .middleware(tower::layer::util::Identity::new())
///     .route("/health", get(health));
///
/// let router: axum::Router = app.into_router();
/// let request = axum::http::Request::get("/nope").body(axum::body::Body::empty()).unwrap();
/// let response = router.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 404); // {"error":{"code":"not_found",…}}
/// # Ok(()) }
/// ```
#[must_use]
pub struct Aksara<S = ()> {
    router: Router<S>,
    db: Db,
    settings: Option<Arc<Settings>>,
    /// App-wide layers, outermost (first added) first.
    layers: Vec<Arc<dyn AppLayer>>,
    route_layers: Vec<RouterStep>,
    has_fallback: bool,
}

impl<S> fmt::Debug for Aksara<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aksara")
            .field("router", &self.router)
            .field("db", &self.db)
            .field("settings", &self.settings)
            .field("layers", &self.layers.len())
            .field("route_layers", &self.route_layers.len())
            .finish_non_exhaustive()
    }
}

impl<S> Aksara<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// An app with no routes over `db`. As with `Router::new`, `S` is the state
    /// the routes still need; it is `()` once [`Aksara::with_state`] provides it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// let app = aksara::Aksara::new(aksara::Db::connect("sqlite::memory:").await?);
    /// let router: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    pub fn new(db: Db) -> Self {
        Self {
            router: Router::new(),
            db,
            settings: None,
            layers: Vec::new(),
            route_layers: Vec::new(),
            has_fallback: false,
        }
    }

    /// The database handle every request carries.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// let app = aksara::Aksara::<()>::new(aksara::Db::connect("sqlite::memory:").await?);
    /// assert_eq!(app.db().backend(), aksara::Backend::Sqlite);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Gives the app its settings: handlers and middleware can read them as
    /// `Extension<Arc<Settings>>`, and [`Aksara::serve`] refuses to start outside
    /// debug mode when their secret key is weak.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let settings = aksara::Settings::from_sources(Some("debug = true"), None::<(String, String)>)?;
    /// let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let app = aksara::Aksara::<()>::new(db).settings(settings);
    /// # Ok(()) }
    /// ```
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = Some(Arc::new(settings));
        self
    }

    /// Adds a route, as `Router::route`.
    ///
    /// # Panics
    /// As `Router::route`: an invalid path, or a path and method already routed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// use axum::routing::{get, post};
    /// let app = aksara::Aksara::new(db)
    ///     .route("/posts", get(|| async { "list" }).post(|| async { "create" }))
    ///     .route("/posts/{id}", get(|| async { "one" }));
    /// # let _: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn route(mut self, path: &str, method_router: MethodRouter<S>) -> Self {
        self.router = self.router.route(path, method_router);
        self
    }

    /// Routes a path to a tower service, as `Router::route_service`.
    ///
    /// # Panics
    /// As `Router::route_service`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let service = tower::service_fn(|_request: axum::extract::Request| async {
    ///     Ok::<_, std::convert::Infallible>(axum::response::Response::new(axum::body::Body::from("raw")))
    /// });
    /// let app = aksara::Aksara::<()>::new(db).route_service("/raw", service);
    /// # let _: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn route_service<T>(mut self, path: &str, service: T) -> Self
    where
        T: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        T::Response: IntoResponse,
        T::Future: Send + 'static,
    {
        self.router = self.router.route_service(path, service);
        self
    }

    /// Mounts a router under a path prefix, as `Router::nest`.
    ///
    /// # Panics
    /// As `Router::nest`: an invalid prefix or overlapping routes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// use axum::{Router, routing::get};
    /// let api = Router::new().route("/users", get(|| async { "users" }));
    /// let app = aksara::Aksara::new(db).nest("/api", api); // GET /api/users
    /// # let _: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn nest(mut self, path: &str, router: Router<S>) -> Self {
        self.router = self.router.nest(path, router);
        self
    }

    /// Mounts a tower service under a path prefix, as `Router::nest_service`.
    ///
    /// # Panics
    /// As `Router::nest_service`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let files = axum::Router::new().route("/{*path}", axum::routing::get(|| async { "file" }));
    /// let app = aksara::Aksara::<()>::new(db).nest_service("/static", files);
    /// # let _: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn nest_service<T>(mut self, path: &str, service: T) -> Self
    where
        T: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        T::Response: IntoResponse,
        T::Future: Send + 'static,
    {
        self.router = self.router.nest_service(path, service);
        self
    }

    /// Adds every route of another router, as `Router::merge`.
    ///
    /// A merged router's own fallback is replaced by the app's (the JSON 404 unless
    /// [`Aksara::fallback`] sets another): give the app its fallback instead.
    ///
    /// # Panics
    /// As `Router::merge`: the same path and method routed twice.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// use axum::{Router, routing::get};
    /// let accounts = Router::new().route("/login", get(|| async { "login" }));
    /// let app = aksara::Aksara::new(db).merge(accounts);
    /// # let _: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn merge<R: Into<Router<S>>>(mut self, other: R) -> Self {
        self.router = self.router.merge(other);
        self
    }

    /// Adds app-wide middleware, as Django's `MIDDLEWARE`: it sees every request,
    /// before routing, so routes added later, nested routers and the JSON 404 and
    /// 405 are all covered, and it runs before the layers added after it (the
    /// first layer added sees the request first). On a plain router, that is
    /// `ServiceBuilder::new().layer(first).….layer(last).service(router)`. (An app
    /// turned into a router by [`Aksara::into_router`] runs it after routing,
    /// over each route.)
    ///
    /// Running before routing, the layer cannot see which route matched
    /// (`MatchedPath`, path parameters); middleware that needs them belongs in
    /// [`Aksara::route_middleware`]. It gets the router's finished response: with
    /// `Content-Length` when the body's length is known, so a layer that swaps
    /// the body for another must set or remove that header (tower-http's layers
    /// do). The layer is applied once for the whole app, so a limit it keeps
    /// (concurrency, rate) is app-wide, not per route.
    ///
    /// The layer wraps a [`Routing`] where a router's wraps an
    /// `axum::routing::Route`; layers generic over their inner service (nearly
    /// all) accept both. Each costs one boxed future per request, less than the
    /// boxed clone *and* boxed future of a `Router::layer`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// use axum::{middleware::{self, Next}, extract::Request, response::Response, routing::get};
    ///
    /// async fn tag(request: Request, next: Next) -> Response {
    ///     let mut response = next.run(request).await;
    ///     response.headers_mut().insert("x-app", "blog".parse().unwrap());
    ///     response
    /// }
    ///
    /// let app = aksara::Aksara::new(db)
    ///     .middleware(middleware::from_fn(tag))
    ///     .route("/", get(|| async { "covered, though added after the layer" }));
    /// # let _: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    pub fn middleware<L>(mut self, layer: L) -> Self
    where
        L: Layer<Routing> + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.layers.push(Arc::new(layer));
        self
    }

    /// Adds middleware that runs only when a route matched (so an unknown path is
    /// still a 404, not, say, a 401), over every route of the app, in the same
    /// order as [`Aksara::middleware`]; it runs inside all `middleware`. Each route layer
    /// is applied with `Router::route_layer`, so it wraps an axum `Route` and
    /// costs what it costs on a plain router.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let app = aksara::Aksara::new(db)
    ///     .route_middleware(tower::layer::util::Identity::new())
    ///     .route("/", axum::routing::get(|| async { "guarded" }));
    /// # let _: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    pub fn route_middleware<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.route_layers
            .push(Box::new(move |router| router.route_layer(layer)));
        self
    }

    /// Handles requests no route matches, instead of the JSON 404.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let app = aksara::Aksara::<()>::new(db)
    ///     .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "nothing here") });
    /// # let _: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.router = self.router.fallback(handler);
        self.has_fallback = true;
        self
    }

    /// Provides the state the routes extract with `State<S>`, as
    /// `Router::with_state`; the result needs the state `S2` (usually `()`).
    ///
    /// ```
    /// use axum::{extract::State, routing::get};
    ///
    /// #[derive(Clone)]
    /// struct AppState {
    ///     greeting: &'static str,
    /// }
    ///
    /// async fn hello(State(state): State<AppState>) -> &'static str {
    ///     state.greeting
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let app = aksara::Aksara::new(db)
    ///     .route("/", get(hello))
    ///     .with_state(AppState { greeting: "hello" });
    /// let router: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    pub fn with_state<S2>(self, state: S) -> Aksara<S2> {
        Aksara {
            router: self.router.with_state(state),
            db: self.db,
            settings: self.settings,
            layers: self.layers,
            route_layers: self.route_layers,
            has_fallback: self.has_fallback,
        }
    }

    /// Applies any `axum::Router` method to the routes added so far — the escape
    /// hatch for what this builder does not mirror, such as a plain router's
    /// `layer` that wraps only the routes already added. Set the fallback with
    /// [`Aksara::fallback`], not here: the app's own replaces it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// use axum::routing::get;
    /// let app = aksara::Aksara::new(db)
    ///     .route("/wrapped", get(|| async { "a" }))
    ///     .map_router(|router| router.layer(tower::layer::util::Identity::new()))
    ///     .route("/not-wrapped", get(|| async { "b" }));
    /// # let _: axum::Router = app.into_router();
    /// # Ok(()) }
    /// ```
    pub fn map_router<S2>(self, f: impl FnOnce(Router<S>) -> Router<S2>) -> Aksara<S2> {
        Aksara {
            router: f(self.router),
            db: self.db,
            settings: self.settings,
            layers: self.layers,
            route_layers: self.route_layers,
            has_fallback: self.has_fallback,
        }
    }
}

impl Aksara {
    /// The finished app as one service: the [`Db`] (and [`Settings`]) extensions,
    /// the app-wide layers, then the router with its routes, the JSON 404 and 405
    /// and the route layers. It is what [`Aksara::serve`] runs, and what to give
    /// `axum::serve` or `tower::ServiceExt::oneshot`; [`Aksara::into_router`]
    /// turns the app into a router instead, to nest or merge.
    ///
    /// ```
    /// use tower::ServiceExt;
    /// use axum::http::{Request, StatusCode};
    /// use axum::body::Body;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let app = aksara::Aksara::new(db)
    ///     .route("/", axum::routing::post(|| async { "created" }))
    ///     .into_service();
    /// let response = app.oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    /// assert_eq!(response.headers()["allow"], "POST");
    /// # Ok(()) }
    /// ```
    pub fn into_service(self) -> AppService {
        let (router, stack) = self.finish();
        stack.service(router)
    }

    /// The finished app as an `axum::Router`, to nest in a larger router, merge
    /// into one, or drive with `tower::ServiceExt::oneshot`: the routes, the JSON
    /// 404 and 405 and the route layers, with the extensions and the app-wide
    /// layers over each route, as `Router::layer` puts them. So the routes stay
    /// routes: merging keeps them, and a `route_layer` of the larger router
    /// covers them. Two differences from [`Aksara::into_service`]: the app-wide
    /// layers run after routing (they could see the matched route; do not rely
    /// on it, since served they cannot), and each route gets its own copy of
    /// them.
    ///
    /// ```
    /// use tower::ServiceExt;
    /// use axum::http::{Request, StatusCode};
    /// use axum::body::Body;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> aksara::Result<()> {
    /// # let db = aksara::Db::connect("sqlite::memory:").await?;
    /// let api = aksara::Aksara::new(db)
    ///     .route("/posts", axum::routing::get(|| async { "posts" }))
    ///     .into_router();
    /// let site = axum::Router::new().nest("/api", api);
    /// let response = site.oneshot(Request::get("/api/posts").body(Body::empty()).unwrap()).await.unwrap();
    /// assert_eq!(response.status(), StatusCode::OK);
    /// # Ok(()) }
    /// ```
    pub fn into_router(self) -> Router {
        let (router, stack) = self.finish();
        router.layer(stack)
    }

    /// The routes with the JSON 404 and 405 and the route layers; the rest.
    fn finish(self) -> (Router, AppStack) {
        let mut router = self.router;
        if !self.has_fallback {
            router = router.fallback(not_found);
        }
        router = router.method_not_allowed_fallback(method_not_allowed);
        if router.has_routes() {
            for step in self.route_layers.into_iter().rev() {
                router = step(router);
            }
        }
        let stack = AppStack {
            db: self.db,
            settings: self.settings,
            layers: self.layers.into(),
        };
        (router, stack)
    }

    /// The settings given to [`Aksara::settings`], if any.
    pub(super) fn settings_ref(&self) -> Option<&Settings> {
        self.settings.as_deref()
    }
}

impl From<Aksara> for Router {
    fn from(app: Aksara) -> Self {
        app.into_router()
    }
}

/// The JSON 404 for paths no route matches.
async fn not_found() -> ApiError {
    ApiError::not_found("no route matches this path")
}

/// The JSON 405 for a routed path with another method (axum adds `Allow`).
async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed("this path does not accept this method")
}
