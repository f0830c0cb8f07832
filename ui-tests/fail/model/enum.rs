use aksara::prelude::*;

#[derive(Model)]
pub enum Status {
    Draft,
    Published,
}

fn main() {}
