//! The README's getting-started files are the `newcomer/` crate, character for
//! character, so what a new user copies is what CI builds (`.ci/run` builds
//! `newcomer/` outside the workspace).

use std::path::Path;

fn read(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(relative))
        .unwrap_or_else(|error| panic!("cannot read {relative}: {error}"))
}

#[test]
fn the_getting_started_blocks_are_the_newcomer_crate() {
    let readme = read("README.md");
    for (file, fence) in [
        ("newcomer/Cargo.toml", "toml"),
        ("newcomer/src/main.rs", "rust"),
    ] {
        let block = format!("```{fence}\n{}```\n", read(file));
        assert!(
            readme.contains(&block),
            "README.md must show {file} verbatim in a ```{fence} block (update one from the other)"
        );
    }
}

#[test]
fn the_newcomer_crate_is_outside_the_workspace() {
    let manifest = read("Cargo.toml");
    assert!(manifest.contains("exclude = [\"newcomer\"]"));
    // Its own profile lines are the ones the slow-hash warning quotes.
    assert!(read("newcomer/Cargo.toml").contains("[profile.dev.package.argon2]\nopt-level = 3"));
}
