//! The compile-pass and compile-fail cases of Aksara's macros.
//!
//! `pass/*.rs` must build without a warning and run; `fail/<macro>/*.rs` must fail
//! to build with exactly the message in the `.stderr` beside it. After changing a
//! message, regenerate with `TRYBUILD=overwrite cargo test -p aksara-ui-tests` and
//! review every changed `.stderr` by eye: the error must sit under the offending
//! token and say what to write instead.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("pass/*.rs");
    t.compile_fail("fail/*/*.rs");
}
