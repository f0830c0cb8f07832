use aksara::prelude::*;

#[derive(Model)]
pub struct Tag {
    #[field(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(unique, related_name = "not a name")]
    pub tags: ManyToMany<Tag>,
    pub labels: Option<ManyToMany<Tag>>,
    #[field(through_table = "x", related_name = "posts")]
    pub title: String,
}

fn main() {}
