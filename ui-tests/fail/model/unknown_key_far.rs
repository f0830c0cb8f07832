use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(searchable)]
    pub title: String,
}

fn main() {}
