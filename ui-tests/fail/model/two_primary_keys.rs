use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(primary_key)]
    pub uuid: Uuid,
}

fn main() {}
