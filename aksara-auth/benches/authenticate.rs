//! `authenticate()` for an existing user against one raw argon2id verification at
//! the same parameters (the `argon2` crate's `verify_password`, inline), measured
//! in one run. The bar: `authenticate` ≤ 1.05× raw.
//!
//! Run: `cargo bench -p aksara-auth --bench authenticate`. After criterion's report
//! it prints the medians of interleaved rounds and their ratio.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aksara_auth::User;
use aksara_auth::prelude::*;
use argon2::password_hash::PasswordVerifier;
use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::{Algorithm, Argon2, Params, Version};
use criterion::{Criterion, criterion_group};

const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// The hand-written side: what code without Aksara does to check a password.
fn raw_verify(argon2: &Argon2<'_>, stored: &str) -> bool {
    let parsed = Phc::new(stored).expect("a PHC string");
    argon2.verify_password(PASSWORD.as_bytes(), &parsed).is_ok()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(async {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        User::objects()
            .create()
            .email(EMAIL)
            .password(PASSWORD)
            .exec(&db)
            .await
            .unwrap();
        db
    });
    let stored = runtime
        .block_on(User::objects().get(&db, User::EMAIL.eq(EMAIL)))
        .unwrap()
        .password
        .as_encoded()
        .to_owned();
    let argon2 = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).unwrap(),
    );
    let authenticate_once = || async {
        authenticate::<User>(&db, EMAIL, PASSWORD)
            .await
            .unwrap()
            .is_some()
    };
    assert!(raw_verify(&argon2, &stored));
    assert!(runtime.block_on(authenticate_once()));

    let mut group = c.benchmark_group("login");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("raw_argon2_verify", |b| {
        b.iter(|| black_box(raw_verify(&argon2, &stored)));
    });
    group.bench_function("authenticate", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(authenticate_once().await) });
    });
    group.finish();

    // Alternating rounds, so drift in machine load hits both sides alike.
    let mut raw_ms = Vec::new();
    let mut auth_ms = Vec::new();
    for round in 0..40 {
        let raw_first = round % 2 == 0;
        for side in [raw_first, !raw_first] {
            let started = Instant::now();
            if side {
                black_box(raw_verify(&argon2, &stored));
                raw_ms.push(started.elapsed().as_secs_f64() * 1e3);
            } else {
                black_box(runtime.block_on(authenticate_once()));
                auth_ms.push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    let (raw, auth) = (median(&mut raw_ms), median(&mut auth_ms));
    println!("\nInterleaved medians (40 rounds):\n");
    println!("| case | raw argon2 verify | authenticate() | authenticate / raw |");
    println!("|---|---|---|---|");
    println!(
        "| existing user, SQLite, m=19456 t=2 p=1 | {raw:.2} ms | {auth:.2} ms | {:.3} |",
        auth / raw
    );
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
