use aksara::prelude::*;

// An alias is not judged by its name: the `AutoNow` bound rejects what it stands
// for, under the field's type.
pub type Day = NaiveDate;

#[derive(Model)]
pub struct Entry {
    #[field(primary_key)]
    pub id: i64,
    #[field(auto_now_add)]
    pub day: Option<Day>,
}

fn main() {}
