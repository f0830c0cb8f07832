use aksara::prelude::*;

pub struct Money {
    pub cents: i64,
}

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    pub price: Money,
}

fn main() {}
