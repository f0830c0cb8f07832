use aksara_auth::prelude::*;

#[auth_user(login_field = "phone")]
pub struct User {
    pub password: String,
    pub is_staff: bool,
}

fn main() {}
