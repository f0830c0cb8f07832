use aksara::prelude::*;

#[derive(Model)]
pub struct Post<T> {
    #[field(primary_key)]
    pub id: i64,
    pub body: T,
}

fn main() {}
