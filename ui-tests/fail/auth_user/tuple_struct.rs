use aksara_auth::prelude::*;

#[auth_user]
pub struct User(String, Option<String>);

fn main() {}
