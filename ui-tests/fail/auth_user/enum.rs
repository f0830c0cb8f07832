use aksara_auth::prelude::*;

#[auth_user]
pub enum User {
    Active,
    Inactive,
}

fn main() {}
