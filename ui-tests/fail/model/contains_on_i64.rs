use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    pub views: i64,
}

fn main() {
    let _ = Post::VIEWS.contains("1");
}
