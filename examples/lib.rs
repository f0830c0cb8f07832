//! Holds no code: each example is a file beside this one (`cargo run --example NAME`).
