use aksara_auth::prelude::*;
use aksara_auth::User;

#[auth_user]
pub enum User {
    Active,
    Inactive,
}

fn main() {}
