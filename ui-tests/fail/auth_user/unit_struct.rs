use aksara_auth::prelude::*;

#[auth_user]
pub struct User;

fn main() {}
