use aksara::prelude::*;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    pub title: String,
}

fn main() {
    let _ = Post::objects().select_related(Post::TITLE);
}
