use aksara_auth::prelude::*;
use aksara_auth::User;

struct Api;

impl Api {
    #[login_required]
    async fn profile(&self, user: CurrentUser<User>) -> String {
        user.email.clone()
    }
}

fn main() {}
