use aksara_auth::prelude::*;
use aksara_auth::User;

// Both mistakes are reported at once.
#[login_required(redirect = "https://example.com/login")]
fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

fn main() {}
