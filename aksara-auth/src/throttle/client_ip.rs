//! The client's address: the peer of the connection, or the `X-Forwarded-For`
//! entry written by the outermost of a configured number of trusted proxies.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;

use super::Throttle;

/// The address of the client that sent `parts`, for per-client limits.
///
/// - `trusted_proxies = 0` (the default): the peer address of the connection,
///   from `ConnectInfo<SocketAddr>` (which [`Aksara::serve`](aksara::Aksara::serve)
///   and `axum::serve(…, app.into_service())` provide). `X-Forwarded-For` is
///   ignored: any client can write it.
/// - `trusted_proxies = n`: each of the `n` proxies in front appends the address
///   it saw to `X-Forwarded-For` (every such header counts, in order), so the
///   client is the `n`-th entry **from the right**: the one the outermost trusted
///   proxy wrote. Entries to its left came from the client and are ignored
///   whatever they say. A header with fewer than `n` entries, or an entry that
///   is not an address, gives the peer address (the nearest proxy): such a
///   request did not come through the proxies as configured, and every one of
///   them then shares the proxy's one limit rather than one the client chooses.
///
/// Without connect info (a test calling the router with `oneshot`, a server
/// that does not provide it) the peer is `0.0.0.0`, the unspecified address:
/// such requests share one per-address limit. Never a panic.
///
/// ```
/// use std::net::{IpAddr, SocketAddr};
/// use aksara_auth::throttle::client_ip;
/// use axum::extract::ConnectInfo;
///
/// let mut request = http::Request::builder()
///     .header("x-forwarded-for", "6.6.6.6, 203.0.113.7")
///     .body(())?;
/// request.extensions_mut().insert(ConnectInfo("10.0.0.2:443".parse::<SocketAddr>()?));
/// let (parts, ()) = request.into_parts();
///
/// assert_eq!(client_ip(&parts, 0), "10.0.0.2".parse::<IpAddr>()?);    // the peer
/// assert_eq!(client_ip(&parts, 1), "203.0.113.7".parse::<IpAddr>()?); // what the proxy saw
/// assert_eq!(client_ip(&parts, 3), "10.0.0.2".parse::<IpAddr>()?);    // too few entries
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn client_ip(parts: &Parts, trusted_proxies: usize) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| {
            addr.ip()
        });
    if trusted_proxies == 0 {
        return canonical(peer);
    }
    let entries: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let forwarded = entries
        .len()
        .checked_sub(trusted_proxies)
        .and_then(|index| parse_entry(entries[index]));
    canonical(forwarded.unwrap_or(peer))
}

/// An entry of `X-Forwarded-For`: an address, or an address and port.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

/// An IPv4 address written as IPv6 (`::ffff:1.2.3.4`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// A handler's client address: [`client_ip`] with the `trusted_proxies` of the
/// request's [`Throttle`] (an `Extension`), or 0 (the peer only) without one.
///
/// ```
/// use aksara_auth::ClientIp;
///
/// async fn whoami(ClientIp(ip): ClientIp) -> String {
///     ip.to_string()
/// }
/// let app: axum::Router = axum::Router::new().route("/whoami", axum::routing::get(whoami));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let trusted = parts
            .extensions
            .get::<Throttle>()
            .map_or(0, |throttle| throttle.settings().trusted_proxies);
        Ok(Self(client_ip(parts, trusted)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(forwarded: &[&str], peer: Option<&str>) -> Parts {
        let mut request = http::Request::builder();
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let mut request = request.body(()).expect("request");
        if let Some(peer) = peer {
            request
                .extensions_mut()
                .insert(ConnectInfo(peer.parse::<SocketAddr>().expect("peer")));
        }
        request.into_parts().0
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn the_left_most_entry_a_client_wrote_is_never_taken() {
        let spoofed = parts(&["1.1.1.1, 198.51.100.9"], Some("10.0.0.1:80"));
        assert_eq!(client_ip(&spoofed, 1), ip("198.51.100.9"));
        // Two proxies: the second wrote the first proxy's view last.
        let two = parts(&["1.1.1.1", "198.51.100.9, 10.0.0.5"], Some("10.0.0.1:80"));
        assert_eq!(client_ip(&two, 2), ip("198.51.100.9"));
        assert_eq!(client_ip(&two, 1), ip("10.0.0.5"));
    }

    #[test]
    fn no_proxy_trusted_means_the_peer_whatever_the_header_says() {
        let request = parts(&["1.1.1.1"], Some("[::ffff:192.0.2.1]:5000"));
        assert_eq!(
            client_ip(&request, 0),
            ip("192.0.2.1"),
            "mapped IPv4 unwrapped"
        );
    }

    #[test]
    fn odd_headers_and_missing_connect_info_fall_back_without_panicking() {
        assert_eq!(client_ip(&parts(&[], None), 0), ip("0.0.0.0"));
        assert_eq!(client_ip(&parts(&[], None), 1), ip("0.0.0.0"));
        let garbage = parts(&["not-an-ip"], Some("10.0.0.1:80"));
        assert_eq!(client_ip(&garbage, 1), ip("10.0.0.1"));
        let with_port = parts(&["[2001:db8::1]:443"], Some("10.0.0.1:80"));
        assert_eq!(client_ip(&with_port, 1), ip("2001:db8::1"));
        let empty_items = parts(&[",,"], Some("10.0.0.1:80"));
        assert_eq!(client_ip(&empty_items, 1), ip("10.0.0.1"));
    }
}
