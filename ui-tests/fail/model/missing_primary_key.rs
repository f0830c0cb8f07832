use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    pub id: i64,
    pub title: String,
}

fn main() {}
