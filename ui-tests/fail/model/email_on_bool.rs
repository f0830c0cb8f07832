use aksara::prelude::*;

#[derive(Model)]
pub struct Author {
    #[field(primary_key)]
    pub id: i64,
    #[field(email)]
    pub verified: bool,
}

fn main() {}
