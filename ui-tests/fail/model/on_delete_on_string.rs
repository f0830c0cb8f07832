use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(on_delete = "cascade")]
    pub author: String,
}

fn main() {}
