use aksara_auth::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: Uuid,
    pub title: String,
}

fn check_new_password(post: &Post) {
    let _ = validate_password("correct horse battery staple", Some(post));
}

fn main() {
    let _ = check_new_password;
}
