use aksara_auth::prelude::*;
use aksara_auth::User;

#[login_required(redirect = "/connexion/é")]
async fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

#[login_required(redirect = "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
async fn dashboard(user: CurrentUser<User>) -> String {
    user.email.clone()
}

fn main() {}
