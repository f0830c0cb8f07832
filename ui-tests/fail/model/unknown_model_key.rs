use aksara::prelude::*;

#[derive(Model)]
#[model(tabel = "posts")]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
}

fn main() {}
