use aksara::prelude::*;

#[derive(Model)]
pub struct Post;

fn main() {}
