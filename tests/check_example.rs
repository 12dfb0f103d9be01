//! `examples/check.rs`, the deployment gate, run as a pipeline would run
//! it: its exit status and what it prints.

use std::path::PathBuf;
use std::process::Command;

/// The example binary, which `cargo test` builds beside the test binaries
/// (built here if this test was run alone).
fn check() -> Command {
    static BUILD: std::sync::Once = std::sync::Once::new();
    let mut dir = std::env::current_exe().expect("test binary path");
    dir.pop(); // the test binary
    dir.pop(); // deps/
    let exe = dir
        .join("examples")
        .join(format!("check{}", std::env::consts::EXE_SUFFIX));
    // Built (or found up to date) once per run: `cargo test` builds the
    // examples, but `cargo test --test check_example` does not, and would
    // otherwise run a stale one.
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--example", "check"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the check example failed");
    });
    Command::new(exe)
}

fn write(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("gradual-check-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("temp file");
    path
}

#[test]
fn a_valid_file_passes_and_an_invalid_one_lists_every_problem() {
    let good = write(
        "good.json",
        r#"{ "revision": "r1", "features": [ { "name": "checkout", "percentage": 5 } ] }"#,
    );
    let out = check().arg(&good).output().expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid, revision r1, 1 feature(s)"));

    let bad = write(
        "bad.json",
        r#"{ "revision": "r2", "features": [ { "name": "a", "percentage": 140 }, { "name": "b", "allow": [""] } ] }"#,
    );
    let out = check().arg(&bad).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("INVALID, 2 problem(s)"), "{stderr}");
    assert!(
        stderr.contains("  - feature `a`: percentage 140 is out of range (0..=100)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  - feature `b`: allow contains an empty unit id"),
        "{stderr}"
    );

    let broken = write("broken.json", r#"{ "revision": "r3", "features": [ "#);
    assert_eq!(
        check().arg(&broken).output().expect("runs").status.code(),
        Some(2)
    );

    // JSON, but not a config: a misspelt field is a problem of the config.
    let typo = write(
        "typo.json",
        r#"{ "revision": "r4", "features": [ { "name": "a", "percentge": 50 } ] }"#,
    );
    let out = check().arg(&typo).output().expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("typo.json: INVALID: unknown field `percentge`"),
        "{stderr}"
    );
    // A number too large for its field is valid JSON too (serde_json calls
    // it a syntax error).
    let huge = write(
        "huge.json",
        r#"{ "revision": "r5", "features": [ { "name": "a", "percentage": 1e400 } ] }"#,
    );
    let out = check().arg(&huge).output().expect("runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("huge.json: INVALID"));
    for p in [good, bad, broken, typo, huge] {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn two_files_show_the_blast_radius() {
    let live = write(
        "live.json",
        r#"{ "revision": "r1", "features": [ { "name": "checkout", "percentage": 5 } ] }"#,
    );
    let new = write(
        "new.json",
        r#"{ "revision": "r2", "features": [ { "name": "checkout", "percentage": 25 }, { "name": "search", "percentage": 1 } ] }"#,
    );
    let out = check().arg(&live).arg(&new).output().expect("runs");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("r1 -> r2: 1 added, 0 removed, 1 changed\n  + search\n  ~ checkout (percentage): turns on 20% of units"),
        "{stdout}"
    );
    for p in [live, new] {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn the_status_gates_the_new_file_whatever_the_live_one_is() {
    let bad_live = write(
        "bad-live.json",
        r#"{ "revision": "r1", "features": [ { "name": "checkout", "percentage": 140 } ] }"#,
    );
    let good_new = write(
        "good-new.json",
        r#"{ "revision": "r2", "features": [ { "name": "checkout", "percentage": 25 } ] }"#,
    );
    let garbage = write("garbage.json", "{ not json");
    let out = check()
        .arg(&bad_live)
        .arg(&good_new)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad-live.json: INVALID"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("good-new.json: valid"), "{stdout}");
    assert!(
        !stdout.contains(" -> "),
        "no blast radius against an invalid live file"
    );

    let out = check().arg(&bad_live).arg(&garbage).output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("garbage.json: not JSON"));
    for p in [bad_live, good_new, garbage] {
        let _ = std::fs::remove_file(p);
    }
}
