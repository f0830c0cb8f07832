use aksara_auth::prelude::*;

#[auth_user]
#[model(table = "users")]
pub struct User {
    #[field(max_len = 100)]
    pub name: String,
    #[field(url)]
    pub avatar_url: Option<String>,
}

fn main() {}
