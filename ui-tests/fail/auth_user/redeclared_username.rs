use aksara_auth::prelude::*;

#[auth_user(login_field = "username")]
pub struct Member {
    #[field(unique)]
    pub username: String,
}

fn main() {}
