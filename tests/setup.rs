//! scripts/fetch_libtorch.sh under broken set-ups, with fakes: a missing Python, a
//! pip that cannot reach the registry, a full disk, an interrupted install, and a
//! rerun when all is in place. Each failure must end with a readable message and a
//! non-zero exit; nothing here touches the real cache or this clone's .libtorch.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A scratch "clone" holding only the script, so the `.libtorch` link it makes
/// lands there.
fn clone_with_script() -> tempfile::TempDir {
    let dir = common::scratch();
    fs::create_dir(dir.path().join("scripts")).unwrap();
    fs::copy(common::root().join("scripts/fetch_libtorch.sh"), dir.path().join("scripts/fetch_libtorch.sh"))
        .unwrap();
    dir
}

fn fetch(clone: &Path, envs: &[(&str, &str)]) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(clone.join("scripts/fetch_libtorch.sh"))
        .envs(envs.iter().copied())
        .output()
        .expect("bash runs");
    (out, started.elapsed())
}

/// A fake environment whose `python -m pip install` does what `FAKE_PIP` says:
/// `ok` lays out a minimal torch directory, `enospc` fails as pip does on a full
/// disk, `interrupt` dies half-way (as a killed download would).
fn fake_venv(cache: &Path) {
    let bin = cache.join("venv-torch-2.13.0/bin");
    fs::create_dir_all(&bin).unwrap();
    let script = r#"#!/bin/sh
torch="$(dirname "$0")/../lib/python3.11/site-packages/torch"
case "$1" in
  -c) echo "2.13.0+cpu" ;;
  -m)
    if [ "$3" = "--version" ]; then echo "pip 23.2.1 (fake)"; exit 0; fi
    case "$FAKE_PIP" in
      ok)
        mkdir -p "$torch/lib" "$torch/include/torch/csrc/api/include/torch"
        : > "$torch/lib/libtorch_cpu.so"
        : > "$torch/include/torch/csrc/api/include/torch/torch.h"
        echo "__version__ = '2.13.0+cpu'" > "$torch/version.py"
        echo "Successfully installed torch-2.13.0" ;;
      enospc)
        echo "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device" >&2
        exit 1 ;;
      interrupt)
        mkdir -p "$torch/lib"
        echo "Downloading torch-2.13.0 ... Terminated" >&2
        exit 143 ;;
    esac ;;
esac
"#;
    fs::write(bin.join("python"), script).unwrap();
    fs::set_permissions(bin.join("python"), fs::Permissions::from_mode(0o755)).unwrap();
}

fn err(o: &Output) -> String {
    common::stderr(o)
}

#[test]
fn no_python_names_what_to_install() {
    let clone = clone_with_script();
    let cache = common::scratch();
    let (out, _) = fetch(
        clone.path(),
        &[("SINE_RNN_CACHE", &common::path_str(cache.path())), ("PYTHON", "/nonexistent/python3")],
    );
    assert!(!out.status.success());
    assert!(err(&out).contains("install Python") && err(&out).contains("python3-venv"), "{}", err(&out));
}

#[test]
fn unreachable_registry_fails_fast_with_a_clear_message() {
    let clone = clone_with_script();
    let cache = common::scratch();
    let links = common::scratch();
    let (out, took) = fetch(
        clone.path(),
        &[
            ("SINE_RNN_CACHE", &common::path_str(cache.path())),
            // Nothing listens on port 9: every request is refused.
            ("PIP_INDEX_URL", "https://127.0.0.1:9/simple"),
            ("PIP_FIND_LINKS", &common::path_str(links.path())),
            ("PIP_NO_CACHE_DIR", "1"),
        ],
    );
    assert!(!out.status.success());
    assert!(err(&out).contains("PyPI is unreachable") && err(&out).contains("rerun"), "{}", err(&out));
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert!(!clone.path().join(".libtorch").exists());
}

#[test]
fn a_venv_without_pip_is_recreated() {
    // As if `python -m venv` had been killed after writing bin/python: the script
    // must notice pip is missing and recreate the environment (then pip, here
    // unreachable, fails; what matters is that the venv was rebuilt).
    let clone = clone_with_script();
    let cache = common::scratch();
    let bin = cache.path().join("venv-torch-2.13.0/bin");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("python"), "#!/bin/sh\nexit 1\n").unwrap();
    fs::set_permissions(bin.join("python"), fs::Permissions::from_mode(0o755)).unwrap();
    let links = common::scratch();
    let (out, _) = fetch(
        clone.path(),
        &[
            ("SINE_RNN_CACHE", &common::path_str(cache.path())),
            ("PIP_INDEX_URL", "https://127.0.0.1:9/simple"),
            ("PIP_FIND_LINKS", &common::path_str(links.path())),
            ("PIP_NO_CACHE_DIR", "1"),
        ],
    );
    assert!(err(&out).contains("creating the Python environment"), "{}", err(&out));
    assert!(err(&out).contains("PyPI is unreachable"), "{}", err(&out));
    let python = cache.path().join("venv-torch-2.13.0/bin/python");
    let ok = Command::new(&python).args(["-m", "pip", "--version"]).output().unwrap();
    assert!(ok.status.success(), "the recreated venv has pip");
}

#[test]
fn a_real_libtorch_directory_in_the_clone_is_not_touched() {
    let clone = clone_with_script();
    let cache = common::scratch();
    fake_venv(cache.path());
    fs::create_dir(clone.path().join(".libtorch")).unwrap();
    let (out, _) =
        fetch(clone.path(), &[("SINE_RNN_CACHE", &common::path_str(cache.path())), ("FAKE_PIP", "ok")]);
    assert!(!out.status.success());
    assert!(err(&out).contains("is not a symlink"), "{}", err(&out));
    assert_eq!(fs::read_dir(clone.path().join(".libtorch")).unwrap().count(), 0);
}

#[test]
fn full_disk_says_so() {
    let clone = clone_with_script();
    let cache = common::scratch();
    fake_venv(cache.path());
    let (out, _) =
        fetch(clone.path(), &[("SINE_RNN_CACHE", &common::path_str(cache.path())), ("FAKE_PIP", "enospc")]);
    assert!(!out.status.success());
    assert!(err(&out).contains("the disk is full") && err(&out).contains("GB free"), "{}", err(&out));
}

#[test]
fn an_interrupted_install_is_completed_by_a_rerun_and_a_third_run_is_a_no_op() {
    let clone = clone_with_script();
    let cache = common::scratch();
    fake_venv(cache.path());
    let c = common::path_str(cache.path());
    let (out, _) = fetch(clone.path(), &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "interrupt")]);
    assert!(!out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("Rerun this script"), "{}", err(&out));
    assert!(!clone.path().join(".libtorch").exists());

    let (out, _) = fetch(clone.path(), &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "ok")]);
    assert!(out.status.success(), "{}", err(&out));
    let link = fs::read_link(clone.path().join(".libtorch")).expect(".libtorch linked");
    assert!(link.join("lib/libtorch_cpu.so").exists());
    let stamp = cache.path().join("venv-torch-2.13.0/.sine-rnn-complete");
    let before = fs::metadata(&stamp).unwrap().modified().unwrap();

    // Everything in place: pip is not even called (it would fail), and nothing changes.
    let (out, took) = fetch(clone.path(), &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "enospc")]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("is in place"), "{}", err(&out));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(fs::metadata(&stamp).unwrap().modified().unwrap(), before);
    assert_eq!(fs::read_link(clone.path().join(".libtorch")).unwrap(), link);
}
