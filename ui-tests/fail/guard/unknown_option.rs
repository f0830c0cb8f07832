use aksara_auth::prelude::*;
use aksara_auth::User;

#[login_required(redirct = "/login")]
async fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

fn main() {}
