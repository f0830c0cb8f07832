use aksara_auth::prelude::*;

#[auth_user(login_field = "username", login_field = "email")]
pub struct User {
    pub name: String,
}

fn main() {}
