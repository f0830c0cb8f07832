//! The prelude does not bring the built-in `User`: a module that forgets to
//! import its own model gets a compile error, not the built-in model.
use aksara_auth::prelude::*;

async fn profile(user: CurrentUser<User>) -> String {
    user.email.clone()
}

fn main() {}
