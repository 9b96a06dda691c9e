//! scripts/fetch_libtorch.sh under broken set-ups, with fakes: a missing Python, a
//! pip that cannot reach the registry, a full disk, an interrupted install, and a
//! rerun when all is in place. Each failure must end with a readable message and a
//! non-zero exit; nothing here touches the real cache or this clone's .libtorch.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The torch release the project builds on, from the file build.rs and the scripts read.
const TORCH: &str = include_str!("../build/torch-version").trim_ascii();

/// A scratch "clone" holding only the scripts and the version file they read, so
/// the `.libtorch` link they make and follow lands there.
fn clone_with_script() -> tempfile::TempDir {
    let dir = common::scratch();
    for d in ["scripts", "build"] {
        fs::create_dir(dir.path().join(d)).unwrap();
    }
    for file in ["scripts/fetch_libtorch.sh", "scripts/python", "build/torch-version"] {
        fs::copy(common::root().join(file), dir.path().join(file)).unwrap();
    }
    dir
}

/// The environment the scripts make in `cache`.
fn venv(cache: &Path) -> PathBuf {
    cache.join(format!("venv-torch-{TORCH}"))
}

/// Runs the clone's scripts/python with the cache `cache`.
fn scripts_python(clone: &Path, cache: &Path) -> Output {
    Command::new(clone.join("scripts/python"))
        .arg("scripts/reference.py")
        .env_remove("SINE_RNN_PYTHON")
        .env("SINE_RNN_CACHE", cache)
        .current_dir(clone)
        .output()
        .expect("scripts/python runs")
}

fn fetch(clone: &Path, envs: &[(&str, &str)]) -> (Output, Duration) {
    fetch_with(clone, &[], envs)
}

fn fetch_with(clone: &Path, args: &[&str], envs: &[(&str, &str)]) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(clone.join("scripts/fetch_libtorch.sh"))
        .args(args)
        .env_remove("PYTHON")
        .env_remove("SINE_RNN_PYTHON")
        .env("FAKE_WHEELS", fake_wheels())
        .envs(envs.iter().copied())
        .output()
        .expect("bash runs");
    (out, started.elapsed())
}

/// Small shared libraries built with the C compiler, standing in for the wheels'
/// ones: real ELF files with real NEEDED entries and a real run path, so the
/// script's reading of them and the loader's check (`ldd`) run for real. The fake
/// libtorch_cpu.so needs libc10.so (beside it), libcudart.so.13 and libcupti.so.13
/// (found through `$ORIGIN/../../nvidia/cu13/lib`, as in the torch wheel). With
/// them, the fake wheels' metadata: torch pins `cuda-toolkit[...]==13.0.3`, whose
/// extras pin the NVIDIA wheels.
fn fake_wheels() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("setup-fake-wheels-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("stub.c"), "int sine_rnn_stub(void) { return 0; }\n").unwrap();
        let cc = |args: &[&str]| {
            let out = Command::new("cc").args(args).current_dir(&d).output().expect("a C compiler (cc) runs");
            assert!(out.status.success(), "cc {args:?}: {}", err(&out));
        };
        for so in ["libc10.so", "libcudart.so.13", "libcupti.so.13"] {
            cc(&["-shared", "-fPIC", "-o", so, &format!("-Wl,-soname,{so}"), "stub.c"]);
        }
        cc(&[
            "-shared",
            "-fPIC",
            "-o",
            "libtorch_cpu.so",
            "stub.c",
            "-Wl,--no-as-needed",
            "-L.",
            "-l:libc10.so",
            "-l:libcudart.so.13",
            "-l:libcupti.so.13",
            "-Wl,-rpath,$ORIGIN/../../nvidia/cu13/lib:$ORIGIN",
        ]);
        fs::write(
            d.join("torch.METADATA"),
            format!(
                "Metadata-Version: 2.1\nName: torch\nVersion: {TORCH}\nRequires-Dist: filelock\n\
                 Requires-Dist: cuda-toolkit[cublas,cudart,cupti,nvrtc]==13.0.3; platform_system == \"Linux\"\n\
                 Requires-Dist: nvidia-cudnn-cu13==9.20.0.48; platform_system == \"Linux\"\n"
            ),
        )
        .unwrap();
        fs::write(
            d.join("cuda_toolkit.METADATA"),
            "Metadata-Version: 2.1\nName: cuda-toolkit\nVersion: 13.0.3.0\n\
             Provides-Extra: cublas\n\
             Requires-Dist: nvidia-cublas==13.1.1.3.*; sys_platform == 'linux' and extra == 'cublas'\n\
             Provides-Extra: cudart\n\
             Requires-Dist: nvidia-cuda-runtime==13.0.96.*; (sys_platform == 'linux' and platform_machine == 'x86_64') and extra == 'cudart'\n\
             Provides-Extra: cupti\n\
             Requires-Dist: nvidia-cuda-cupti==13.0.85.*; sys_platform == 'linux' and extra == 'cupti'\n\
             Provides-Extra: nvjitlink\n\
             Requires-Dist: nvidia-nvjitlink<14,>=13.0.88; extra == 'nvjitlink'\n",
        )
        .unwrap();
        d
    })
}

/// A fake environment whose `python -m pip install` does what `FAKE_PIP` says:
/// `ok` lays out the files of the wheels it is asked for (a full install, without
/// `--no-deps`, lays out all of them and makes torch "importable"), `enospc` fails
/// as pip does on a full disk, `interrupt` dies half-way (as a killed download
/// would). Every install is logged, one line each, to `<venv>/pip.log`. In it,
/// libcuda.so.1 loads only when `FAKE_DRIVER=1`: a machine with or without an
/// NVIDIA driver, wherever the test runs.
fn fake_venv(cache: &Path) {
    let bin = venv(cache).join("bin");
    fs::create_dir_all(&bin).unwrap();
    let script = r#"#!/bin/sh
venv="$(dirname "$0")/.."
sp="$venv/lib/python3.11/site-packages"
torch="$sp/torch"
w="$FAKE_WHEELS"
torch_wheel() {
  mkdir -p "$torch/lib" "$torch/include/torch/csrc/api/include/torch" "$sp/torch-@TORCH@.dist-info"
  cp "$w/libtorch_cpu.so" "$w/libc10.so" "$torch/lib/"
  : > "$torch/include/torch/csrc/api/include/torch/torch.h"
  echo "__version__ = '@TORCH@+cu130'" > "$torch/version.py"
  cp "$w/torch.METADATA" "$sp/torch-@TORCH@.dist-info/METADATA"
}
toolkit_wheel() { mkdir -p "$sp/cuda_toolkit-13.0.3.0.dist-info"; cp "$w/cuda_toolkit.METADATA" "$sp/cuda_toolkit-13.0.3.0.dist-info/METADATA"; }
nvidia_wheel() { mkdir -p "$sp/nvidia/cu13/lib"; cp "$w/$1" "$sp/nvidia/cu13/lib/"; }
case "$*" in
  *libcuda.so.1*) if [ "$FAKE_DRIVER" = 1 ]; then echo yes; else echo no; fi; exit 0 ;;
esac
case "$1" in
  -c)
    if [ -f "$sp/.importable" ]; then echo "@TORCH@+cu130"; else echo "ModuleNotFoundError: No module named 'sympy'" >&2; exit 1; fi ;;
  -m)
    if [ "$3" = "--version" ]; then echo "pip 23.2.1 (fake)"; exit 0; fi
    echo "$*" >> "$venv/pip.log"
    case "$FAKE_PIP" in
      ok)
        for a in "$@"; do
          case "$a" in
            torch==*) torch_wheel ;;
            cuda-toolkit==*) toolkit_wheel ;;
            nvidia-cuda-runtime==*) nvidia_wheel libcudart.so.13 ;;
            nvidia-cuda-cupti==*) nvidia_wheel libcupti.so.13 ;;
          esac
        done
        case " $* " in
          *" --no-deps "*) ;;
          *) torch_wheel; toolkit_wheel; nvidia_wheel libcudart.so.13; nvidia_wheel libcupti.so.13
             : > "$sp/.importable" ;;
        esac
        echo "Successfully installed (fake)" ;;
      enospc)
        echo "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device" >&2
        exit 1 ;;
      interrupt)
        mkdir -p "$torch/lib"
        echo "Downloading torch-@TORCH@ ... Terminated" >&2
        exit 143 ;;
    esac ;;
  *) echo "fake python ran: $*" ;;
esac
"#;
    fs::write(bin.join("python"), script.replace("@TORCH@", TORCH)).unwrap();
    fs::set_permissions(bin.join("python"), fs::Permissions::from_mode(0o755)).unwrap();
}

/// The pip installs the fake environment was asked for, one line each.
fn pip_log(cache: &Path) -> Vec<String> {
    fs::read_to_string(venv(cache).join("pip.log"))
        .map(|t| t.lines().map(String::from).collect())
        .unwrap_or_default()
}

/// A base interpreter (what `PYTHON` names) that is the real python3, except that
/// it has no torch.
fn fake_base_python(dir: &Path) -> String {
    let path = dir.join("python3");
    let script = r#"#!/bin/sh
case "$*" in
  *'find_spec("torch")'*) exit 0 ;;
esac
exec python3 "$@"
"#;
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    common::path_str(&path)
}

/// The runtime set as torch's (fake) metadata defines it: torch alone, then the
/// toolkit's metadata, then exactly the wheels of the libraries libtorch_cpu.so
/// names, at the versions the toolkit pins.
fn runtime_installs() -> Vec<String> {
    vec![
        format!("--no-deps torch=={TORCH}"),
        "--no-deps cuda-toolkit==13.0.3".into(),
        "--no-deps nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85".into(),
    ]
}

fn full_install() -> String {
    format!("torch=={TORCH} numpy>=1.26,<3 matplotlib>=3.8,<4 safetensors>=0.4,<1")
}

fn assert_installs(cache: &Path, expected: &[String]) {
    let log = pip_log(cache);
    assert_eq!(log.len(), expected.len(), "{log:#?}");
    for (line, want) in log.iter().zip(expected) {
        assert!(line.ends_with(&format!(" {want}")), "pip was asked for `{line}`, expected `... {want}`");
        if !want.starts_with("--no-deps") {
            assert!(!line.contains("--no-deps"), "{line}");
        }
    }
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
    let bin = venv(cache.path()).join("bin");
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
    let python = venv(cache.path()).join("bin/python");
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
    let installs = pip_log(cache.path());

    // Everything in place: pip is not even called (it would fail), and nothing changes.
    let (out, _) = fetch(clone.path(), &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "enospc")]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("is in place"), "{}", err(&out));
    assert_eq!(pip_log(cache.path()), installs);
    assert_eq!(fs::read_link(clone.path().join(".libtorch")).unwrap(), link);
}

/// A scratch clone and cache after a successful `--cpu` fetch with the fake pip.
fn runtime_set() -> (tempfile::TempDir, tempfile::TempDir, Output) {
    let clone = clone_with_script();
    let cache = common::scratch();
    fake_venv(cache.path());
    let c = common::path_str(cache.path());
    let (out, _) = fetch_with(clone.path(), &["--cpu"], &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "ok")]);
    assert!(out.status.success(), "{}", err(&out));
    (clone, cache, out)
}

#[test]
fn the_cpu_runtime_set_is_torch_alone_and_the_libraries_libtorch_names() {
    let (clone, cache, out) = runtime_set();
    let c = common::path_str(cache.path());
    assert_installs(cache.path(), &runtime_installs());
    assert!(err(&out).contains("CPU runtime set"), "{}", err(&out));
    assert!(err(&out).contains("libcudart.so.13") && err(&out).contains("libcupti.so.13"), "{}", err(&out));
    assert!(err(&out).contains("scripts/fetch_libtorch.sh --python"), "{}", err(&out));
    let venv = venv(cache.path());
    assert!(venv.join(".sine-rnn-runtime").exists());
    assert!(!venv.join(".sine-rnn-complete").exists() && !venv.join(".sine-rnn-python").exists());
    let link = fs::read_link(clone.path().join(".libtorch")).expect(".libtorch linked");
    assert_eq!(link, venv.join("lib/python3.11/site-packages/torch"));
    // The loader finds every library of the set through torch's own run path.
    let ldd = Command::new("ldd").arg(link.join("lib/libtorch_cpu.so")).output().expect("ldd runs");
    let ldd = common::stdout(&ldd);
    assert!(ldd.contains("nvidia/cu13/lib/libcudart.so.13") && !ldd.contains("not found"), "{ldd}");

    // A rerun with no flag (and no driver) is satisfied by it, without pip.
    let (out, _) = fetch(clone.path(), &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "enospc")]);
    assert!(out.status.success() && err(&out).contains("is in place"), "{}", err(&out));
    assert_eq!(pip_log(cache.path()).len(), runtime_installs().len());

    // Once a driver is present, the plain command completes the full set, for CUDA.
    let (out, _) = fetch(clone.path(), &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "ok"), ("FAKE_DRIVER", "1")]);
    assert!(out.status.success() && err(&out).contains("an NVIDIA driver is present"), "{}", err(&out));
    let mut expected = runtime_installs();
    expected.push(full_install());
    assert_installs(cache.path(), &expected);
}

#[test]
fn the_plain_command_takes_the_runtime_set_without_a_driver_and_the_full_set_with_one() {
    for (driver, expected, said) in [
        ("0", runtime_installs(), "no NVIDIA driver"),
        ("1", vec![full_install()], "an NVIDIA driver is present"),
    ] {
        let clone = clone_with_script();
        let cache = common::scratch();
        fake_venv(cache.path());
        let (out, _) = fetch(
            clone.path(),
            &[
                ("SINE_RNN_CACHE", &common::path_str(cache.path())),
                ("FAKE_PIP", "ok"),
                ("FAKE_DRIVER", driver),
            ],
        );
        assert!(out.status.success(), "{}", err(&out));
        assert!(err(&out).contains(said), "{}", err(&out));
        assert_installs(cache.path(), &expected);
    }
}

#[test]
fn python_over_the_runtime_set_installs_the_rest_into_the_same_environment() {
    let (clone, cache, _) = runtime_set();
    let c = common::path_str(cache.path());

    // The parity harness cannot compare without the Python side: it says so, exit 2.
    fs::copy(common::root().join("scripts/parity.sh"), clone.path().join("scripts/parity.sh")).unwrap();
    let parity = Command::new(clone.path().join("scripts/parity.sh"))
        .args(["--binary", common::BIN])
        .env_remove("SINE_RNN_PYTHON")
        .env("SINE_RNN_CACHE", cache.path())
        .output()
        .expect("scripts/parity.sh runs");
    assert_eq!(parity.status.code(), Some(2), "{}", err(&parity));
    let said = common::stdout(&parity);
    assert!(
        said.starts_with("cannot compare: scripts/python: error: ") && said.contains("--python"),
        "{said}"
    );

    // The Python side refuses the runtime set in one line naming the fix.
    let py = scripts_python(clone.path(), cache.path());
    assert_eq!(py.status.code(), Some(1));
    let e = err(&py);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.starts_with("scripts/python: error: ") && e.contains("run scripts/fetch_libtorch.sh --python"),
        "{e}"
    );
    assert!(py.stdout.is_empty());

    let (out, _) = fetch_with(clone.path(), &["--python"], &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "ok")]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(!err(&out).contains("creating the Python environment"), "{}", err(&out));
    let mut expected = runtime_installs();
    expected.push(full_install());
    assert_installs(cache.path(), &expected);
    let venv = venv(cache.path());
    assert_eq!(fs::read_to_string(venv.join(".sine-rnn-python")).unwrap().trim(), full_install());

    let py = scripts_python(clone.path(), cache.path());
    assert!(py.status.success(), "{}", err(&py));
    assert_eq!(common::stdout(&py).trim(), "fake python ran: scripts/reference.py");

    // Now everything is there, for every form of the command.
    for args in [&["--python"][..], &["--cpu"][..], &[][..]] {
        let (out, _) = fetch_with(clone.path(), args, &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "enospc")]);
        assert!(
            out.status.success() && err(&out).contains("(full set) is in place"),
            "{args:?}: {}",
            err(&out)
        );
    }
    assert_eq!(pip_log(cache.path()).len(), expected.len());
}

#[test]
fn an_environment_completed_by_the_earlier_script_is_kept_and_completed_in_place() {
    // The earlier script installed torch with all its dependencies, numpy and
    // matplotlib, and stamped .sine-rnn-complete; it had no safetensors.
    let clone = clone_with_script();
    let cache = common::scratch();
    fake_venv(cache.path());
    let c = common::path_str(cache.path());
    let venv = venv(cache.path());
    let py = venv.join("bin/python");
    let made = Command::new(&py)
        .args(["-m", "pip", "install", &format!("torch=={TORCH}"), "numpy", "matplotlib"])
        .env("FAKE_PIP", "ok")
        .env("FAKE_WHEELS", fake_wheels())
        .output()
        .unwrap();
    assert!(made.status.success());
    fs::remove_file(venv.join("pip.log")).unwrap();
    fs::write(venv.join(".sine-rnn-complete"), "").unwrap();

    for args in [&[][..], &["--cpu"][..]] {
        let (out, _) = fetch_with(clone.path(), args, &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "enospc")]);
        assert!(out.status.success() && err(&out).contains("is in place"), "{args:?}: {}", err(&out));
    }
    assert!(pip_log(cache.path()).is_empty());
    let py = scripts_python(clone.path(), cache.path());
    assert!(py.status.success(), "{}", err(&py));

    let (out, _) = fetch_with(clone.path(), &["--python"], &[("SINE_RNN_CACHE", &c), ("FAKE_PIP", "ok")]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(!err(&out).contains("creating the Python environment"), "{}", err(&out));
    assert_installs(cache.path(), &[full_install()]);
}

/// A fake installed PyTorch: a `torch` package of version `version` (with the
/// libtorch files the build needs) in a directory to put on PYTHONPATH, and the
/// other packages named.
fn fake_site(version: &str, also: &[&str]) -> tempfile::TempDir {
    let site = common::scratch();
    let torch = site.path().join("torch");
    fs::create_dir_all(torch.join("lib")).unwrap();
    fs::create_dir_all(torch.join("include/torch/csrc/api/include/torch")).unwrap();
    fs::write(torch.join("__init__.py"), "raise ImportError('the fake torch is not for importing')\n")
        .unwrap();
    fs::write(torch.join("version.py"), format!("__version__ = '{version}'\n")).unwrap();
    fs::write(torch.join("lib/libtorch_cpu.so"), "").unwrap();
    fs::write(torch.join("include/torch/csrc/api/include/torch/torch.h"), "").unwrap();
    for name in also {
        fs::create_dir(site.path().join(name)).unwrap();
        fs::write(site.path().join(name).join("__init__.py"), "").unwrap();
    }
    site
}

#[test]
fn an_installed_torch_of_the_version_needed_is_linked_and_nothing_is_downloaded() {
    for (version, args, also) in [
        (format!("{TORCH}+cpu"), &[][..], &[][..]),
        (TORCH.to_string(), &[][..], &[][..]),
        (format!("{TORCH}+cu130"), &["--python"][..], &["numpy", "matplotlib", "safetensors"][..]),
    ] {
        let clone = clone_with_script();
        let cache = common::scratch();
        let site = fake_site(&version, also);
        let links = common::scratch();
        let (out, _) = fetch_with(
            clone.path(),
            args,
            &[
                ("SINE_RNN_CACHE", &common::path_str(cache.path())),
                ("PYTHON", "python3"),
                ("PYTHONPATH", &common::path_str(site.path())),
                ("PIP_INDEX_URL", "https://127.0.0.1:9/simple"),
                ("PIP_FIND_LINKS", &common::path_str(links.path())),
            ],
        );
        assert!(out.status.success(), "{version}: {}", err(&out));
        assert!(err(&out).contains("nothing downloaded"), "{}", err(&out));
        let torch = site.path().canonicalize().unwrap().join("torch");
        assert_eq!(fs::read_link(clone.path().join(".libtorch")).unwrap(), torch);
        assert_eq!(fs::read_dir(cache.path()).unwrap().count(), 0, "no environment is created");
    }
}

#[test]
fn another_torch_version_is_refused_with_the_version_needed() {
    let clone = clone_with_script();
    let cache = common::scratch();
    let site = fake_site("2.5.1+cu121", &[]);
    let (out, _) = fetch(
        clone.path(),
        &[
            ("SINE_RNN_CACHE", &common::path_str(cache.path())),
            ("PYTHON", "python3"),
            ("PYTHONPATH", &common::path_str(site.path())),
        ],
    );
    assert!(!out.status.success());
    let e = err(&out);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.starts_with("fetch_libtorch: error: python3 has torch 2.5.1+cu121"), "{e}");
    assert!(e.contains(&format!("needs torch {TORCH} (tch 0.26 binds libtorch {TORCH})")), "{e}");
    assert!(!clone.path().join(".libtorch").exists());
    assert_eq!(fs::read_dir(cache.path()).unwrap().count(), 0);
}

#[test]
fn an_interpreter_without_torch_makes_the_cached_environment() {
    let clone = clone_with_script();
    let cache = common::scratch();
    fake_venv(cache.path());
    let python = fake_base_python(cache.path());
    let (out, _) = fetch_with(
        clone.path(),
        &["--cpu"],
        &[("SINE_RNN_CACHE", &common::path_str(cache.path())), ("FAKE_PIP", "ok"), ("PYTHON", &python)],
    );
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("has no torch: making the cached environment"), "{}", err(&out));
    assert_installs(cache.path(), &runtime_installs());
    let link = fs::read_link(clone.path().join(".libtorch")).unwrap();
    assert!(link.starts_with(cache.path()), "{}", link.display());
}

#[test]
fn an_unknown_option_is_refused() {
    let clone = clone_with_script();
    let cache = common::scratch();
    let (out, _) =
        fetch_with(clone.path(), &["--gpu"], &[("SINE_RNN_CACHE", &common::path_str(cache.path()))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains("unknown option '--gpu'") && err(&out).contains("--python"), "{}", err(&out));
    assert_eq!(fs::read_dir(cache.path()).unwrap().count(), 0);
}

#[test]
fn a_relative_cache_is_taken_from_where_the_script_runs() {
    let clone = clone_with_script();
    let work = common::scratch();
    fake_venv(&work.path().join("rel/cache"));
    let out = Command::new("bash")
        .arg(clone.path().join("scripts/fetch_libtorch.sh"))
        .arg("--cpu")
        .current_dir(work.path())
        .env_remove("PYTHON")
        .env("FAKE_WHEELS", fake_wheels())
        .env("FAKE_PIP", "ok")
        .env("SINE_RNN_CACHE", "rel/cache")
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{}", err(&out));
    let link = fs::read_link(clone.path().join(".libtorch")).expect(".libtorch linked");
    assert!(link.is_absolute(), "{}", link.display());
    assert!(link.starts_with(work.path().join("rel/cache")), "{}", link.display());
    assert!(clone.path().join(".libtorch/lib/libtorch_cpu.so").exists(), "the link resolves");
}

#[test]
fn a_cache_that_cannot_be_written_says_so() {
    // sysfs takes no new files, even from root: a directory that exists but is not writable.
    let sys = Path::new("/sys/kernel");
    assert!(fs::write(sys.join("sine-rnn-probe"), b"").is_err(), "/sys/kernel took a file");
    let clone = clone_with_script();
    let (out, _) = fetch_with(clone.path(), &["--cpu"], &[("SINE_RNN_CACHE", "/sys/kernel")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err(&out).contains("the cache directory /sys/kernel is not writable")
            && err(&out).contains("SINE_RNN_CACHE"),
        "{}",
        err(&out)
    );
    assert!(!err(&out).contains("disk is full"), "{}", err(&out));
}

#[test]
fn another_system_is_refused_before_anything_is_downloaded() {
    let clone = clone_with_script();
    let cache = common::scratch();
    // A `uname` that answers as a Mac would, first on PATH.
    let bin = common::scratch();
    fs::write(
        bin.path().join("uname"),
        "#!/bin/sh\ncase \"$1\" in -s) echo Darwin ;; -m) echo arm64 ;; esac\n",
    )
    .unwrap();
    fs::set_permissions(bin.path().join("uname"), fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", common::path_str(bin.path()), std::env::var("PATH").unwrap_or_default());
    let c = common::path_str(cache.path());
    let (out, _) = fetch(clone.path(), &[("SINE_RNN_CACHE", &c), ("PATH", &path), ("FAKE_PIP", "ok")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err(&out).contains("this system is Darwin arm64; sine-rnn supports Linux x86_64 with glibc"),
        "{}",
        err(&out)
    );
    assert_eq!(fs::read_dir(cache.path()).unwrap().count(), 0, "something was downloaded");
    assert!(!clone.path().join(".libtorch").exists());
}

#[test]
fn no_home_and_no_cache_is_one_sentence() {
    let clone = clone_with_script();
    let out = Command::new("bash")
        .arg(clone.path().join("scripts/fetch_libtorch.sh"))
        .env_remove("HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("SINE_RNN_CACHE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        err(&out),
        "fetch_libtorch: error: HOME is not set, so there is no default cache; set SINE_RNN_CACHE to where the \
         environment should go\n"
    );
    // scripts/python, with no environment to find, says what to run, not `unbound variable`.
    let out = Command::new(clone.path().join("scripts/python"))
        .args(["-c", "pass"])
        .env_remove("HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("SINE_RNN_CACHE")
        .env("PATH", "/usr/bin:/bin")
        .current_dir(clone.path())
        .output()
        .unwrap();
    assert!(!err(&out).contains("unbound variable"), "{}", err(&out));
}

#[test]
fn a_python_that_prints_garbage_is_named_not_cd_into() {
    let clone = clone_with_script();
    let cache = common::scratch();
    let garbage = cache.path().join("garbage-python");
    fs::write(&garbage, "#!/bin/sh\necho 'not a path at all'\n").unwrap();
    fs::set_permissions(&garbage, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (out, _) = fetch(
        clone.path(),
        &[
            ("PYTHON", &common::path_str(&garbage)),
            ("SINE_RNN_CACHE", &common::path_str(&cache.path().join("c"))),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let e = err(&out);
    assert!(
        e.contains("did not answer as a Python interpreter with torch would (it printed: not a path at all)"),
        "{e}"
    );
    assert!(!e.contains("cd:"), "{e}");
}

#[test]
fn ctrl_c_while_the_environment_is_made_is_one_line_not_a_traceback() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::CommandExt;
    let clone = clone_with_script();
    let work = common::scratch();
    // A Python whose `-m venv` takes its time (a real interpreter, which would
    // print a KeyboardInterrupt traceback when interrupted).
    let python = work.path().join("python3");
    let script = "#!/bin/sh\ncase \"$*\" in\n  *'find_spec(\"torch\")'*) exit 0 ;;\n  '-m venv'*) exec python3 -c 'import time; time.sleep(30)' ;;\nesac\nexec python3 \"$@\"\n";
    fs::write(&python, script).unwrap();
    fs::set_permissions(&python, fs::Permissions::from_mode(0o755)).unwrap();
    let cache = work.path().join("cache");
    let mut child = Command::new("bash")
        .arg(clone.path().join("scripts/fetch_libtorch.sh"))
        .arg("--cpu")
        .env("PYTHON", &python)
        .env("SINE_RNN_CACHE", &cache)
        .env_remove("SINE_RNN_PYTHON")
        .stderr(std::process::Stdio::piped())
        .process_group(0) // as a terminal's foreground job: Ctrl-C reaches every process in it
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("creating the Python environment") {
        assert!(stderr.read_line(&mut seen).unwrap() > 0, "{seen}");
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: kill only sends a signal to the process group we started.
    assert_eq!(unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    std::io::Read::read_to_string(&mut stderr, &mut seen).unwrap();
    assert_eq!(status.code(), Some(1), "{seen}");
    assert!(seen.contains("fetch_libtorch: error: stopped while creating the environment"), "{seen}");
    assert!(!seen.contains("Traceback"), "{seen}");
    let left: Vec<_> = fs::read_dir(&cache).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!left.iter().any(|n| n.to_string_lossy().starts_with(".venv-log")), "{left:?}");
}

#[test]
fn a_clone_without_its_version_file_says_which_file_is_missing() {
    let clone = clone_with_script();
    fs::remove_file(clone.path().join("build/torch-version")).unwrap();
    let cache = common::scratch();
    let (out, _) = fetch(clone.path(), &[("SINE_RNN_CACHE", &common::path_str(cache.path()))]);
    assert_eq!(out.status.code(), Some(1));
    let e = err(&out);
    assert!(e.starts_with("fetch_libtorch: error: ") && e.contains("build/torch-version should hold"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert_eq!(fs::read_dir(cache.path()).unwrap().count(), 0);
    let py = scripts_python(clone.path(), cache.path());
    assert_eq!(py.status.code(), Some(1));
    assert!(err(&py).starts_with("scripts/python: error: ") && err(&py).contains("build/torch-version"));
}
