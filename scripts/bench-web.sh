#!/usr/bin/env bash
# The loopback load benchmark of issue #4: installs wrk (Debian's package) when it
# is missing, makes sure Redis answers, then runs the web_load bench, which
# prints requests/s for bare axum, Aksara's layers anonymous, and
# session-authenticated requests with the database and Redis stores.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
    apt-get install -y wrk >/dev/null
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
cargo bench -p aksara-auth --features redis --bench web_load
