use aksara::prelude::*;

#[derive(Model)]
pub union Value {
    pub int: i64,
    pub float: f64,
}

fn main() {}
