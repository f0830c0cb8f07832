use aksara::prelude::*;

#[derive(Model)]
pub struct Author {
    #[field(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(on_delete = "set_null")]
    pub author: ForeignKey<Author>,
}

fn main() {}
