use aksara_auth::prelude::*;

#[staff_required]
struct Dashboard;

fn main() {}
