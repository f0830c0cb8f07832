use aksara_auth::prelude::*;
use aksara_auth::User;

// Both mistakes in the one attribute are reported, not only the first.
#[login_required(redirect, redirct = "/login")]
async fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

fn main() {}
