use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key, table = "posts")]
    pub id: i64,
}

fn main() {}
