//! Times `authenticate` in this crate's build, to compare a debug build with and
//! without the README's `[profile.dev.package.*]` lines (BENCHMARKS.md).

use std::time::Instant;

use aksara_auth::User;
use aksara_auth::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::connect("sqlite::memory:").await?;
    db.migrate().await?;
    User::objects()
        .create()
        .email("jane@example.com")
        .password("correct horse")
        .exec(&db)
        .await?;
    let mut times = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        let found = authenticate::<User>(&db, "jane@example.com", "correct horse").await?;
        times.push(started.elapsed());
        assert!(found.is_some());
    }
    times.sort();
    println!(
        "authenticate median {:?} (min {:?}, max {:?})",
        times[3], times[0], times[6]
    );
    Ok(())
}
