use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(unique = true)]
    pub slug: String,
}

fn main() {}
