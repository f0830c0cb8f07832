use aksara_auth::prelude::*;

#[auth_user(login_feld = "username")]
pub struct User {
    pub name: String,
}

fn main() {}
