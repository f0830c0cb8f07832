use aksara::prelude::*;

// An alias is not rejected by its name: the `TextColumn` bound rejects what it
// stands for, under the field's type.
pub type Views = i64;

#[derive(Model)]
pub struct Post {
    #[field(primary_key)]
    pub id: i64,
    #[field(max_length = 10)]
    pub views: Views,
}

fn main() {}
