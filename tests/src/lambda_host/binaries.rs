//! Where the function binaries are, and building them.
//!
//! The functions are workspace members but not dependencies of this crate,
//! and `cargo test -p lms-zoom-tests` or `cargo test --workspace --test suite`
//! does not build their binaries (`cargo test --workspace` builds a bin
//! only for a package that has integration tests, and then only its own).
//! So the first host of a test binary runs one
//! `cargo build --workspace --bins --tests` with the profile and target
//! directory of the running test binary, and never uses a stale binary from
//! before a source change. `--workspace --tests` is the feature set of
//! `cargo test --workspace` (dev-dependencies count, tokio's test-util
//! among them): after it, this build only links the function binaries
//! (~6 s on a clean CI run, a no-op of well under a second later), where
//! `cargo build -p <functions>` would compile tokio, hyper and the AWS SDK
//! a second time with fewer features (~1.5 min and ~1 GB of disk). Under a
//! lone `cargo test -p lms-zoom-tests --test X` it builds the workspace's
//! tests too, once. The binaries are then taken from next to the test
//! binary (`target/<profile>/<name>`).
//!
//! `LMS_ZOOM_FUNCTION_BIN_DIR=/some/dir` uses the binaries found there as
//! they are and builds nothing (release or `cargo lambda` builds, benchmarks).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `target/<profile>`: where cargo put the running test binary's profile.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe.parent().expect("the test binary's directory");
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("deps" | "examples") => dir.parent().expect("target/<profile>").to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

fn build_once() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("LMS_ZOOM_FUNCTION_BIN_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let profile_dir = profile_dir();
    let target_dir = profile_dir.parent().expect("the target directory");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(&cargo);
    command.current_dir(workspace_root()).arg("build");
    // Not what cargo set for running this test: build scripts that track
    // these (ring tracks CARGO_MANIFEST_DIR) would be rebuilt by this build
    // and again by the next `cargo test`, each time.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_EXE_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_MANIFEST_LINKS",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ]
            .contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    command.args(["--workspace", "--bins", "--tests"]);
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(other) => {
            command.args(["--profile", other]);
        }
        None => return Err(format!("no profile in {}", profile_dir.display())),
    }
    command.arg("--target-dir").arg(target_dir);
    let started = std::time::Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("could not run {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{command:?}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    eprintln!(
        "lambda_host: function binaries up to date in {} ({} ms)",
        profile_dir.display(),
        started.elapsed().as_millis()
    );
    Ok(profile_dir)
}

/// The directory holding fresh function binaries: built once per test
/// binary (blocking; call it from `spawn_blocking`). Panics with cargo's
/// output if the build fails.
pub fn bin_dir() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(build_once) {
        Ok(dir) => dir.clone(),
        Err(e) => panic!("lambda_host: cannot build the function binaries: {e}"),
    }
}

/// The fresh binary of function `name`.
pub fn function_binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.is_file(),
        "lambda_host: no binary {} (is `{name}` a package under functions/, or in LMS_ZOOM_FUNCTION_BIN_DIR?)",
        path.display()
    );
    path
}
