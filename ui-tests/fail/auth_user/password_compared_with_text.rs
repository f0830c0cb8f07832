use aksara_auth::prelude::*;

#[auth_user]
pub struct Member {}

fn main() {
    // A stored password is a salted hash: no text equals it.
    let _ = Member::PASSWORD.eq("correct horse battery staple");
}
