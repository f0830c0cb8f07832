use aksara_auth::prelude::*;

#[auth_user]
pub fn user() {}

fn main() {}
