//! The app builder: routes, nesting, merging, state, app-wide and route layers, the
//! database from handlers on every backend, JSON 404/405, settings, and a real
//! server on loopback that stops gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aksara::prelude::*;
use aksara::{ApiError, ServeError, Settings};
use aksara_tests::blog::{Author, author};
use aksara_tests::on_each_database;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

/// Sends a request through `app`: a router, or an `AppService`.
async fn send<T>(app: &T, method: &str, uri: &str) -> (StatusCode, HeaderMap, String)
where
    T: tower::Service<Request, Response = Response, Error = std::convert::Infallible> + Clone,
{
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        headers,
        String::from_utf8(bytes.to_vec()).expect("UTF-8"),
    )
}

async fn memory_db() -> Db {
    Db::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite")
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|err| panic!("{err}: {body}"))
}

#[tokio::test]
async fn routes_nest_merge_and_state() {
    #[derive(Clone)]
    struct AppState {
        name: &'static str,
    }
    async fn name(State(state): State<AppState>) -> &'static str {
        state.name
    }
    async fn user(Path(id): Path<u32>) -> String {
        format!("user {id}")
    }

    let api = Router::new()
        .route("/users/{id}", get(user))
        .route("/name", get(name));
    let accounts = Router::new().route("/login", post(|| async { "logged in" }));
    let router = Aksara::new(memory_db().await)
        .route("/", get(|| async { "home" }))
        .nest("/api", api)
        .merge(accounts)
        .with_state(AppState { name: "blog" })
        .route("/after-state", get(|| async { "stateless" }))
        .into_router();

    assert_eq!(send(&router, "GET", "/").await.2, "home");
    assert_eq!(send(&router, "GET", "/api/users/7").await.2, "user 7");
    assert_eq!(send(&router, "GET", "/api/name").await.2, "blog");
    assert_eq!(send(&router, "POST", "/login").await.2, "logged in");
    assert_eq!(send(&router, "GET", "/after-state").await.2, "stateless");
}

/// Appends `name` to the `x-trace` response header on the way out, and records on
/// the way in whether an earlier layer had already seen the request.
fn tracer(
    name: &'static str,
) -> impl Fn(Request, Next) -> futures_util::future::BoxFuture<'static, Response> + Clone {
    move |mut request: Request, next: Next| {
        Box::pin(async move {
            let seen: Vec<&'static str> = request
                .extensions()
                .get::<Vec<&'static str>>()
                .cloned()
                .unwrap_or_default();
            let mut path = seen.clone();
            path.push(name);
            request.extensions_mut().insert(path.clone());
            let mut response = next.run(request).await;
            response.headers_mut().append(
                "x-trace",
                HeaderValue::from_str(&path.join(">")).expect("header"),
            );
            response
        })
    }
}

#[tokio::test]
async fn layers_cover_every_request_in_the_order_added() {
    async fn guard(request: Request, next: Next) -> Result<Response, ApiError> {
        if request.headers().contains_key("x-key") {
            Ok(next.run(request).await)
        } else {
            Err(ApiError::unauthorized("send x-key"))
        }
    }

    let router = Aksara::new(memory_db().await)
        .middleware(middleware::from_fn(tracer("first")))
        .middleware(middleware::from_fn(tracer("second")))
        .route_middleware(middleware::from_fn(guard))
        .route("/late", get(|| async { "added after the layers" }))
        .nest(
            "/api",
            Router::new().route("/nested", get(|| async { "nested" })),
        )
        .into_router();

    // App-wide layers cover routes added after them, nested routes and the 404;
    // the first layer added sees the request first.
    for uri in ["/late", "/api/nested", "/missing"] {
        let (_, headers, _) = send(&router, "GET", uri).await;
        let trace: Vec<_> = headers.get_all("x-trace").iter().collect();
        assert_eq!(trace, ["first>second", "first"], "{uri}");
    }

    // The route layer runs on matched routes only: an unknown path is still a 404.
    let (status, _, body) = send(&router, "GET", "/late").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json(&body)["error"]["code"], "not_authenticated");
    let (status, _, body) = send(&router, "GET", "/missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let request = Request::get("/late")
        .header("x-key", "1")
        .body(Body::empty())
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn served_nested_or_merged_the_app_keeps_its_layers_and_errors() {
    let db = memory_db().await;
    let app = || {
        Aksara::new(db.clone())
            .middleware(middleware::from_fn(tracer("app")))
            .route(
                "/posts/{id}",
                get(|Path(id): Path<u32>| async move { format!("post {id}") }),
            )
    };
    let trace = |headers: &HeaderMap| headers.get("x-trace").cloned();

    // As one service, the way `serve` runs it.
    let service = app().into_service();
    let (status, headers, body) = send(&service, "GET", "/posts/1").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "post 1"));
    assert_eq!(trace(&headers).unwrap(), "app");
    let (status, headers, body) = send(&service, "GET", "/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json(&body)["error"]["code"], "not_found");
    assert_eq!(trace(&headers).unwrap(), "app");

    // Nested in a larger router: the app routes and answers below its prefix only.
    let site = Router::new()
        .route("/", get(|| async { "home" }))
        .nest("/api", app().into_router());
    let (status, headers, body) = send(&site, "GET", "/api/posts/2").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "post 2"));
    assert_eq!(trace(&headers).unwrap(), "app");
    let (status, headers, body) = send(&site, "GET", "/api/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json(&body)["error"]["code"], "not_found");
    assert_eq!(trace(&headers).unwrap(), "app");
    let (status, headers, body) = send(&site, "GET", "/").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "home"));
    assert_eq!(trace(&headers), None);

    // A HEAD request goes through the layers; the body is dropped, its length kept.
    let (status, headers, body) = send(&service, "HEAD", "/posts/1").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    assert_eq!(headers["content-length"], "6");
    assert_eq!(trace(&headers).unwrap(), "app");

    // A route layer of the larger router covers the nested app too.
    async fn guard(request: Request, next: Next) -> Result<Response, ApiError> {
        if request.headers().contains_key("x-key") {
            Ok(next.run(request).await)
        } else {
            Err(ApiError::unauthorized("send x-key"))
        }
    }
    let guarded = Router::new()
        .route("/", get(|| async { "home" }))
        .nest("/api", app().into_router())
        .route_layer(middleware::from_fn(guard));
    let (status, _, _) = send(&guarded, "GET", "/api/posts/4").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Merged into another app: its routes come first, the merged app answers the rest.
    let host = Aksara::new(db.clone())
        .route("/", get(|| async { "host home" }))
        .merge(app())
        .into_service();
    let (_, headers, body) = send(&host, "GET", "/").await;
    assert_eq!((body.as_str(), trace(&headers)), ("host home", None));
    let (_, headers, body) = send(&host, "GET", "/posts/5").await;
    assert_eq!(
        (body.as_str(), trace(&headers).unwrap()),
        ("post 5", "app".parse().unwrap())
    );
    let (status, _, body) = send(&host, "GET", "/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json(&body)["error"]["code"], "not_found");

    // Merged into a router with routes of its own: those stay outside the app.
    let merged = Router::new()
        .route("/", get(|| async { "home" }))
        .merge(app().into_router());
    let (_, headers, body) = send(&merged, "GET", "/posts/3").await;
    assert_eq!(
        (body.as_str(), trace(&headers).unwrap()),
        ("post 3", "app".parse().unwrap())
    );
    let (_, headers, body) = send(&merged, "GET", "/").await;
    assert_eq!((body.as_str(), trace(&headers)), ("home", None));
}

#[tokio::test]
async fn app_layers_run_before_routing_and_route_layers_after() {
    use axum::extract::{FromRequestParts, RawPathParams};

    /// Answers in `x-<name>` the path parameters the middleware saw, if any.
    fn matched(
        name: &'static str,
    ) -> impl Fn(Request, Next) -> futures_util::future::BoxFuture<'static, Response> + Clone {
        move |request: Request, next: Next| {
            Box::pin(async move {
                let (mut parts, body) = request.into_parts();
                let seen = match RawPathParams::from_request_parts(&mut parts, &()).await {
                    Ok(params) => params
                        .iter()
                        .map(|(key, value)| format!("{key}={value}"))
                        .collect::<Vec<_>>()
                        .join(","),
                    Err(_) => "none".to_owned(),
                };
                let mut response = next.run(Request::from_parts(parts, body)).await;
                response.headers_mut().insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_str(&seen).expect("header"),
                );
                response
            })
        }
    }

    let service = Aksara::new(memory_db().await)
        .middleware(middleware::from_fn(matched("x-app")))
        .route_middleware(middleware::from_fn(matched("x-route")))
        .route("/posts/{id}", get(|| async { "post" }))
        .into_service();
    let (_, headers, _) = send(&service, "GET", "/posts/1").await;
    assert_eq!(headers["x-app"], "none");
    assert_eq!(headers["x-route"], "id=1");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let router = Aksara::new(memory_db().await)
        .route("/posts", post(|| async { "created" }))
        .nest("/api", Router::new().route("/x", get(|| async { "x" })))
        .into_router();

    for uri in ["/nope", "/api/nope", "/posts/1"] {
        let (status, headers, body) = send(&router, "GET", uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(headers["content-type"], "application/json", "{uri}");
        assert_eq!(
            json(&body),
            serde_json::json!({"error": {"code": "not_found", "message": "no route matches this path"}}),
            "{uri}"
        );
    }

    let (status, headers, body) = send(&router, "DELETE", "/posts").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "POST");
    assert_eq!(json(&body)["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn a_custom_fallback_replaces_the_json_404() {
    let router = Aksara::new(memory_db().await)
        .fallback(|| async { (StatusCode::IM_A_TEAPOT, "custom") })
        .into_router();
    let (status, _, body) = send(&router, "GET", "/anything").await;
    assert_eq!((status, body.as_str()), (StatusCode::IM_A_TEAPOT, "custom"));
}

async fn count_authors(db: Db) -> Result<Json<u64>, ApiError> {
    Ok(Json(Author::objects().count(&db).await?))
}

async fn author_name(
    Extension(db): Extension<Db>,
    Path(id): Path<i64>,
) -> Result<String, ApiError> {
    Ok(Author::objects().get(&db, Author::ID.eq(id)).await?.name)
}

#[tokio::test(flavor = "multi_thread")]
async fn handlers_reach_the_database_on_every_backend() {
    on_each_database(async |db, label| {
        let jane = author(&db, "Jane").await;
        author(&db, "Joe").await;
        let router = Aksara::new(db)
            .route("/authors/count", get(count_authors))
            .route("/authors/{id}", get(author_name))
            .into_router();

        let (status, _, body) = send(&router, "GET", "/authors/count").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "2"), "{label}");
        let (status, _, body) = send(&router, "GET", &format!("/authors/{}", jane.id)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "Jane"), "{label}");

        // aksara::Error::NotFound becomes the JSON 404 through `?`.
        let (status, _, body) = send(&router, "GET", "/authors/999999").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{label}");
        assert_eq!(
            json(&body),
            serde_json::json!({"error": {"code": "not_found", "message": "no Author matches the query"}}),
            "{label}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_db_extractor_explains_a_missing_layer() {
    let router = Router::new().route("/", get(count_authors));
    let (status, _, body) = send(&router, "GET", "/").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(json(&body)["error"]["code"], "internal_error");

    let plain = Router::new()
        .route("/", get(count_authors))
        .layer(Extension(memory_db().await));
    let db = memory_db().await;
    db.migrate().await.expect("migrate");
    let plain_migrated = Router::new()
        .route("/", get(count_authors))
        .layer(Extension(db));
    assert_eq!(send(&plain_migrated, "GET", "/").await.2, "0");
    // No tables in that one: a database error is a 500 without the driver's text.
    let (status, _, body) = send(&plain, "GET", "/").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!body.contains("authors"), "{body}");
}

#[tokio::test]
async fn settings_reach_handlers() {
    async fn cookie_name(Extension(settings): Extension<Arc<Settings>>) -> String {
        let session: aksara_auth::session::SessionSettings =
            settings.section().expect("checked when loaded");
        session.cookie_name
    }
    let settings = Settings::from_sources(
        Some("debug = true\n[session]\ncookie_name = \"sid\"\n"),
        None::<(String, String)>,
    )
    .expect("settings");
    let router = Aksara::new(memory_db().await)
        .settings(settings)
        .route("/", get(cookie_name))
        .into_router();
    assert_eq!(send(&router, "GET", "/").await.2, "sid");
}

/// One raw HTTP/1.1 exchange over a fresh connection.
async fn raw_get(address: SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("read response");
    response
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_over_tcp_and_stops_gracefully() {
    async fn peer(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
        peer.ip().to_string()
    }
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(300)).await;
        "finished"
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        Aksara::new(memory_db().await)
            .route("/hello", get(|| async { "hello" }))
            .route("/peer", get(peer))
            .route("/slow", get(slow))
            .serve_with_shutdown(listener, async move {
                let _ = stopped.await;
            }),
    );

    let response = raw_get(address, "/hello").await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nhello"), "{response}");

    let response = raw_get(address, "/peer").await;
    assert!(response.ends_with("\r\n\r\n127.0.0.1"), "{response}");

    let response = raw_get(address, "/nope").await;
    assert!(
        response.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{response}"
    );
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{response}"
    );
    assert!(
        response
            .ends_with(r#"{"error":{"code":"not_found","message":"no route matches this path"}}"#),
        "{response}"
    );

    // A request in flight when the shutdown starts is still answered.
    let in_flight = tokio::spawn(raw_get(address, "/slow"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).expect("server still running");
    let response = tokio::time::timeout(Duration::from_secs(10), in_flight)
        .await
        .expect("answered in time")
        .expect("task");
    assert!(response.ends_with("\r\n\r\nfinished"), "{response}");

    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server stopped in time")
        .expect("task")
        .expect("served without error");
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "the listener is closed after shutdown"
    );
}

#[tokio::test]
async fn serve_refuses_bad_addresses_and_weak_settings() {
    let err = Aksara::new(memory_db().await)
        .serve("not an address")
        .await
        .expect_err("bad address");
    assert!(matches!(err, ServeError::Bind { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("cannot listen on `not an address`: "),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("(expected host:port, such as 127.0.0.1:8000)"),
        "{err}"
    );

    let taken = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = taken.local_addr().expect("address");
    let err = Aksara::new(memory_db().await)
        .serve(address)
        .await
        .expect_err("address in use");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot listen on `{address}`: ")),
        "{err}"
    );
    assert!(
        err.to_string().contains("another process listens there"),
        "{err}"
    );

    // Settings without a secret key, outside debug mode: refused before binding.
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        Aksara::new(memory_db().await)
            .settings(Settings::default())
            .serve("127.0.0.1:0"),
    )
    .await
    .expect("returns at once");
    let err = result.expect_err("weak secret key");
    assert!(matches!(err, ServeError::Settings(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("refusing to start: secret_key is empty"),
        "{err}"
    );
}
