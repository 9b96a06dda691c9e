//! build.rs's libtorch checks on fake libtorch directories: each broken set-up
//! gets one sentence that names the fix.

#[path = "../build/libtorch.rs"]
#[allow(dead_code)]
mod libtorch;

use std::fs;
use std::path::Path;

use libtorch::EXPECTED;

fn fake(dir: &Path, lib: bool, headers: bool, version: Option<&str>) {
    if lib {
        fs::create_dir_all(dir.join("lib")).unwrap();
        fs::write(dir.join("lib/libtorch_cpu.so"), b"").unwrap();
    }
    if headers {
        let h = dir.join("include/torch/csrc/api/include/torch");
        fs::create_dir_all(&h).unwrap();
        fs::write(h.join("torch.h"), b"").unwrap();
    }
    if let Some(v) = version {
        fs::write(dir.join("version.py"), format!("__version__ = '{v}'\ndebug = False\n")).unwrap();
    }
}

#[test]
fn unset_or_missing_libtorch_names_the_fetch_script() {
    let e = libtorch::check(None, false).unwrap_err();
    assert!(e.contains("LIBTORCH is not set") && e.contains("scripts/fetch_libtorch.sh"), "{e}");
    let e = libtorch::check(Some(Path::new("/no/such/libtorch")), false).unwrap_err();
    assert!(e.contains("not found at /no/such/libtorch") && e.contains("scripts/fetch_libtorch.sh"), "{e}");
}

#[test]
fn an_empty_folder_is_not_libtorch() {
    let dir = tempfile::tempdir().unwrap();
    let e = libtorch::check(Some(dir.path()), false).unwrap_err();
    assert!(e.contains("no lib/libtorch_cpu.so") && e.contains("scripts/fetch_libtorch.sh"), "{e}");
}

#[test]
fn missing_headers_are_reported_before_the_compiler_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    fake(dir.path(), true, false, Some(&format!("{EXPECTED}+cu130")));
    let e = libtorch::check(Some(dir.path()), false).unwrap_err();
    assert!(e.contains("headers missing") && e.contains("torch.h"), "{e}");
}

#[test]
fn the_version_needed_is_the_one_line_of_build_torch_version() {
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("build/torch-version")).unwrap();
    assert_eq!(text.lines().collect::<Vec<_>>(), [EXPECTED]);
    let parts: Vec<&str> = EXPECTED.split('.').collect();
    assert!(parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()), "{EXPECTED:?}");
}

#[test]
fn a_wrong_version_says_which_it_found_unless_bypassed() {
    let dir = tempfile::tempdir().unwrap();
    assert_ne!(EXPECTED, "2.11.0");
    fake(dir.path(), true, true, Some("2.11.0+cu130"));
    let e = libtorch::check(Some(dir.path()), false).unwrap_err();
    assert!(e.contains(&format!("needs libtorch {EXPECTED},")) && e.contains("2.11.0+cu130"), "{e}");
    assert!(e.contains("LIBTORCH_BYPASS_VERSION_CHECK"), "{e}");
    let ok = libtorch::check(Some(dir.path()), true).expect("bypass accepts it");
    assert_eq!(ok.version.as_deref(), Some("2.11.0+cu130"));
}

#[test]
fn the_wheel_and_the_official_archive_are_both_recognised() {
    let wheel = tempfile::tempdir().unwrap();
    fake(wheel.path(), true, true, Some(&format!("{EXPECTED}+cu130")));
    let found = libtorch::check(Some(wheel.path()), false).expect("a good wheel layout");
    assert!(found.lib.is_absolute() && found.lib.ends_with("lib"));
    let archive = tempfile::tempdir().unwrap();
    fake(archive.path(), true, true, None);
    fs::write(archive.path().join("build-version"), format!("{EXPECTED}+cpu\n")).unwrap();
    let found = libtorch::check(Some(archive.path()), false).unwrap();
    assert_eq!(found.version, Some(format!("{EXPECTED}+cpu")));
    let unknown = tempfile::tempdir().unwrap();
    fake(unknown.path(), true, true, None);
    assert!(libtorch::check(Some(unknown.path()), false)
        .unwrap_err()
        .contains("cannot tell the libtorch version"));
}

#[test]
fn an_empty_libtorch_says_it_is_empty() {
    let e = libtorch::check(Some(Path::new("")), false).unwrap_err();
    assert!(e.starts_with("LIBTORCH is set but empty;") && e.contains("scripts/fetch_libtorch.sh"), "{e}");
}

#[test]
fn only_linux_x86_64_glibc_is_built() {
    assert_eq!(libtorch::check_platform("linux", "x86_64", "gnu"), Ok(()));
    for (os, arch, env, named) in [
        ("macos", "aarch64", "", "macos aarch64."),
        ("windows", "x86_64", "msvc", "windows x86_64 (msvc)"),
        ("linux", "aarch64", "gnu", "linux aarch64 (gnu)"),
        ("linux", "x86_64", "musl", "linux x86_64 (musl)"),
    ] {
        let e = libtorch::check_platform(os, arch, env).unwrap_err();
        assert!(e.starts_with("sine-rnn supports Linux x86_64 with glibc only; this build is for "), "{e}");
        assert!(e.contains(named) && e.contains("Supported platforms"), "{e}");
    }
}
