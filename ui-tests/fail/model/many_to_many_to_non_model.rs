use aksara::prelude::*;

pub struct Tag {
    pub id: i64,
}

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    pub tags: ManyToMany<Tag>,
}

fn main() {}
