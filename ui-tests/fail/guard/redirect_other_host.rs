use aksara_auth::prelude::*;

#[superuser_required(redirect = "//evil.example/login")]
async fn purge() -> &'static str {
    "purged"
}

fn main() {}
