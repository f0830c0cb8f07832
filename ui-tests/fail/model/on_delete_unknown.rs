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
    #[field(on_delete = "nullify")]
    pub author: Option<ForeignKey<Author>>,
}

fn main() {}
