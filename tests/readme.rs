//! The README's getting-started files are the `newcomer/` crate, character for
//! character, so what a new user copies is what CI builds (`.ci/run` builds
//! `newcomer/` outside the workspace). The guide pages it links to are included
//! in rustdoc, so their examples run as doctests.

use std::path::Path;

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
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
fn the_newcomer_and_fuzz_crates_are_outside_the_workspace() {
    let manifest = read("Cargo.toml");
    let exclude = manifest
        .lines()
        .find(|line| line.starts_with("exclude = ["))
        .expect("the root Cargo.toml excludes crates from the workspace");
    // `fuzz/` needs nightly (libfuzzer-sys): a stable workspace build must not see it.
    for excluded in ["\"newcomer\"", "\"fuzz\""] {
        assert!(
            exclude.contains(excluded),
            "{excluded} missing from {exclude}"
        );
    }
    let fuzz = read("fuzz/Cargo.toml");
    assert!(fuzz.contains("\n[workspace]\n") && fuzz.contains("cargo-fuzz = true"));
    // Its own profile lines are the ones the slow-hash warning quotes.
    assert!(read("newcomer/Cargo.toml").contains("[profile.dev.package.argon2]\nopt-level = 3"));
}

#[test]
fn every_guide_page_is_in_rustdoc_and_every_readme_link_to_one_exists() {
    // A page that no `include_str!` names would be read on GitHub but never
    // compiled: its examples would rot as the README's did.
    for krate in ["aksara", "aksara-auth"] {
        let lib = read(&format!("{krate}/src/lib.rs"));
        let pages = std::fs::read_dir(root().join(krate).join("docs"))
            .unwrap_or_else(|error| panic!("cannot list {krate}/docs: {error}"));
        for page in pages {
            let name = page.expect("a readable docs entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                lib.contains(&format!("include_str!(\"../docs/{name}\")")),
                "{krate}/docs/{name} is not included by {krate}/src/lib.rs"
            );
        }
    }
    let readme = read("README.md");
    for link in readme.split("](").skip(1) {
        let target = link.split([')', '#']).next().unwrap_or_default();
        if target.contains("/docs/") {
            assert!(
                root().join(target).is_file(),
                "README links to a missing page: {target}"
            );
        }
    }
}
