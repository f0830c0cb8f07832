use aksara::prelude::*;

pub struct Cache {
    pub hits: u64,
}

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(skip)]
    pub cache: Cache,
}

fn main() {}
