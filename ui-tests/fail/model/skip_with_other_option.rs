use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(skip, max_length = 100)]
    pub rendered: String,
}

fn main() {}
