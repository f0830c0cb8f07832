use aksara_auth::prelude::*;

#[auth_user(login_field = "phone")]
pub struct User {
    pub name: String,
}

fn main() {}
