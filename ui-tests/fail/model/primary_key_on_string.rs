use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub slug: String,
}

fn main() {}
