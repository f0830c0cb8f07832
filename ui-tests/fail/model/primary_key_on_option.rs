use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: Option<i64>,
}

fn main() {}
