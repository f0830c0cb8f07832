use aksara::prelude::*;

pub struct NotAModel {
    pub id: i64,
}

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    pub author: ForeignKey<NotAModel>,
}

fn main() {}
