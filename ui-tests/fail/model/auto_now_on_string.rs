use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(auto_now)]
    pub updated_at: String,
}

fn main() {}
