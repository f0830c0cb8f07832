use aksara::prelude::*;

#[derive(Model)]
pub struct Post(i64, String);

fn main() {}
