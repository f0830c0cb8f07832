use aksara::prelude::*;

#[derive(Model)]
pub struct Post<'a> {
    #[field(primary_key)]
    pub id: i64,
    pub title: &'a str,
}

fn main() {}
