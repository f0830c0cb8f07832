use aksara_auth::prelude::*;

#[auth_user]
pub struct User {
    pub email: String,
    #[field(max_length = 100)]
    pub name: String,
}

fn main() {}
