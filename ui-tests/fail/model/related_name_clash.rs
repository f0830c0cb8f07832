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
    #[field(related_name = "posts")]
    pub author: ForeignKey<Author>,
    #[field(related_name = "posts")]
    pub editor: Option<ForeignKey<Author>>,
}

fn main() {}
