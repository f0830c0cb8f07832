use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(max_len = 200)]
    pub title: String,
}

fn main() {}
