use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    pub title: String,
    #[field(column = "title")]
    pub heading: String,
}

fn main() {}
