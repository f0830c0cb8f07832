use aksara::prelude::*;

#[derive(Model)]
#[model(unique_together = [["author", "slg"]])]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    pub author: i64,
    pub slug: String,
}

fn main() {}
