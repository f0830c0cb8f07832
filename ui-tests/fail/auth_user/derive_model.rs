use aksara_auth::prelude::*;

#[auth_user]
#[derive(Debug, Model, Clone)]
pub struct User {
    pub name: String,
}

fn main() {}
