use aksara_auth::prelude::*;

#[auth_user]
pub struct User<T> {
    pub profile: T,
}

fn main() {}
