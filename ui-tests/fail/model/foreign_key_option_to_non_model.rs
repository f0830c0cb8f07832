use aksara::prelude::*;

pub struct NotAModel {
    pub id: i64,
}

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(on_delete = "set_null")]
    pub author: Option<ForeignKey<NotAModel>>,
}

fn main() {}
