use aksara_auth::prelude::*;

#[login_required]
fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

fn main() {}
