use aksara::prelude::*;

// `auto_now` sets the field to the current time: an integer cannot hold it, and
// the `AutoNow` bound says so under the field's type.
#[derive(Model)]
pub struct Counter {
    #[field(primary_key)]
    pub id: i64,
    #[field(auto_now)]
    pub n: i64,
}

fn main() {}
