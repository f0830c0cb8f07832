use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(uniqe)]
    pub slug: String,
    pub views: u32,
}

fn main() {}
