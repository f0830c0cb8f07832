use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(max_length = 100, unique, max_length = 200)]
    pub title: String,
}

fn main() {}
