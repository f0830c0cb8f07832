use aksara_auth::prelude::*;

#[auth_user]
#[model(tabel = "users")]
pub struct User {
    pub name: String,
}

fn main() {}
