use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(default = vec!["rust".to_owned()])]
    pub tags: Json<Vec<String>>,
}

fn main() {}
