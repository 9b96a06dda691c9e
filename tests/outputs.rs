//! Output paths that are not plain new files: FIFOs, symlinks, read-only and
//! oddly named files, the same file named twice, modes. All in scratch
//! directories: a FIFO stands for `/dev/null` and `/dev/stdout`, which a build
//! with the old defect would replace.

mod common;

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{scratch, stderr, stdout, BIN};
use sine_rnn::tool::files::{check_output_path, check_outputs, stage};

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    stage(path, bytes)?.commit().map(drop)
}

/// The process's umask, as Linux shows it in /proc/self/status.
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = status.lines().find_map(|l| l.strip_prefix("Umask:")).expect("a Umask line");
    u32::from_str_radix(mask.trim(), 8).unwrap()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success());
}

/// Reads the FIFO to its end on another thread (a FIFO's writer waits for a reader).
fn read_in_background(fifo: &Path) -> std::thread::JoinHandle<String> {
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        let mut text = String::new();
        std::fs::File::open(&fifo).unwrap().read_to_string(&mut text).unwrap();
        text
    })
}

#[test]
fn a_fifo_given_to_json_receives_the_record_and_stays_a_fifo() {
    let dir = scratch();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let reader = read_in_background(&fifo);
    let out = Command::new(BIN)
        .args(["--epochs", "3", "--no-plot", "--json", "pipe"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let record: serde_json::Value = serde_json::from_str(&reader.join().unwrap()).expect("the record, whole");
    assert_eq!(record["config"]["epochs"], 3);
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "still a FIFO");
    assert!(common::temporary_files(dir.path()).is_empty());
}

#[test]
fn json_to_dash_or_to_our_own_stdout_follows_the_log_on_stdout() {
    let dir = scratch();
    // `/dev/stdout` is a link to the process's descriptor 1; a link to a FIFO that
    // is our stdout stands for it here.
    let fifo = dir.path().join("out");
    mkfifo(&fifo);
    std::os::unix::fs::symlink(&fifo, dir.path().join("stdout-link")).unwrap();
    for json in ["-", "stdout-link"] {
        let reader = read_in_background(&fifo);
        let status = Command::new(BIN)
            .args(["--epochs", "11", "--no-plot", "--json", json])
            .current_dir(dir.path())
            .stdout(std::fs::OpenOptions::new().write(true).open(&fifo).unwrap())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "--json {json}");
        let text = reader.join().unwrap();
        let (log, record) = text.split_at(text.find('{').expect("a record"));
        assert_eq!(log.lines().count(), 2, "--json {json}: the two log lines first: {log}");
        assert!(log.lines().all(|l| l.starts_with("Epoch: ")), "{log}");
        let record: serde_json::Value = serde_json::from_str(record).expect("the record, whole");
        assert_eq!(record["config"]["epochs"], 11);
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    }
    assert!(std::fs::symlink_metadata(dir.path().join("stdout-link")).unwrap().file_type().is_symlink());
}

#[test]
fn a_symlinked_output_stays_a_symlink_and_its_target_is_replaced() {
    let dir = scratch();
    let sub = dir.path().join("real");
    std::fs::create_dir(&sub).unwrap();
    let target = sub.join("plot.png");
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.png");
    std::os::unix::fs::symlink("real/plot.png", &link).unwrap();
    // A chain of two links, relative to their own directories.
    let link2 = dir.path().join("link2.png");
    std::os::unix::fs::symlink("link.png", &link2).unwrap();
    write_atomic(&link2, b"new").unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(std::fs::symlink_metadata(&link2).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o640, "mode kept");
    assert!(common::temporary_files(dir.path()).is_empty() && common::temporary_files(&sub).is_empty());
    // A link to a file not there yet: the file is made where it points.
    let dangling = dir.path().join("later.json");
    std::os::unix::fs::symlink("real/later.json", &dangling).unwrap();
    write_atomic(&dangling, b"{}").unwrap();
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(sub.join("later.json")).unwrap(), b"{}");
}

#[test]
fn new_files_get_the_umask_and_replaced_files_keep_their_mode() {
    let dir = scratch();
    let new = dir.path().join("new.json");
    write_atomic(&new, b"x").unwrap();
    let mask = umask();
    assert_eq!(std::fs::metadata(&new).unwrap().permissions().mode() & 0o7777, 0o666 & !mask);
    let kept = dir.path().join("kept.json");
    std::fs::write(&kept, b"old").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o600)).unwrap();
    write_atomic(&kept, b"new").unwrap();
    assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o7777, 0o600);
}

#[test]
fn the_binary_applies_the_users_umask() {
    let dir = scratch();
    let script = format!("umask 077 && exec '{BIN}' --epochs 1 --plot p.svg --json r.json");
    let out = Command::new("sh").args(["-c", &script]).current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for name in ["p.svg", "r.json"] {
        let mode = std::fs::metadata(dir.path().join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
}

#[test]
fn paths_that_cannot_be_written_are_refused_up_front_in_one_line() {
    let dir = scratch();
    let d = dir.path();
    std::fs::write(d.join("afile"), b"").unwrap();
    std::fs::write(d.join("locked.json"), b"keep").unwrap();
    std::fs::set_permissions(d.join("locked.json"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let cases = [
        (d.join("sub/"), "ends in '/' or '/.', so it names a directory"),
        (d.join("afile/."), "ends in '/' or '/.', so it names a directory"),
        (d.join("afile/x.json"), "afile is not a directory"),
        (d.join("afile/deeper/x.json"), "is not a usable directory"),
        (d.join("locked.json"), "is read-only; make it writable (chmod u+w) or choose another name"),
        (d.join("no/such/x.json"), "does not exist"),
    ];
    for (path, expected) in cases {
        let e = check_output_path(&path).unwrap_err();
        assert!(e.contains(expected), "{}: {e}", path.display());
    }
    assert_eq!(std::fs::read(d.join("locked.json")).unwrap(), b"keep");
}

#[test]
fn the_same_file_named_twice_is_a_usage_error() {
    let dir = scratch();
    let d = dir.path();
    std::fs::write(d.join("exists.svg"), b"").unwrap();
    std::os::unix::fs::symlink("exists.svg", d.join("alias.svg")).unwrap();
    let (a, b) = (d.join("new.svg"), d.join("./new.svg"));
    let e = check_outputs(&[("--plot", a.as_path()), ("--loss-plot", b.as_path())]).unwrap_err();
    assert_eq!(
        e,
        format!("--plot and --loss-plot name the same file ({}); give each output its own", b.display())
    );
    let (a, b) = (d.join("exists.svg"), d.join("alias.svg"));
    assert!(check_outputs(&[("--plot", a.as_path()), ("--loss-plot", b.as_path())]).is_err());
    let (a, b) = (d.join("one.svg"), d.join("two.svg"));
    assert_eq!(check_outputs(&[("--plot", a.as_path()), ("--loss-plot", b.as_path())]), Ok(()));
    // Through the binary: exit 2, one line, before training.
    let out = common::sine_rnn(&["--plot", "x.svg", "--loss-plot", "./x.svg"], d);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "sine-rnn: error: --plot and --loss-plot name the same file (./x.svg); give each output its own \
         (see sine-rnn --help)\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_staged_output_dropped_after_a_later_failure_leaves_nothing() {
    let dir = scratch();
    let json = dir.path().join("r.json");
    std::fs::write(&json, b"previous").unwrap();
    let staged = stage(&json, b"new").unwrap();
    // Staged in an unnamed file: nothing in the directory until the commit.
    assert_eq!(common::temporary_files(dir.path()), Vec::<String>::new(), "a staged file has no name");
    drop(staged);
    assert!(common::temporary_files(dir.path()).is_empty());
    assert_eq!(std::fs::read(&json).unwrap(), b"previous");
}

#[test]
fn a_forgotten_file_name_is_told_and_a_dash_name_needs_dot_slash() {
    let dir = scratch();
    let out = common::sine_rnn(&["--json", "--epochs", "3"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "sine-rnn: error: a value is required for '--json <PATH>' but none was supplied (see sine-rnn --help)\n"
    );
    // A name that starts with a dash is a flag to clap, as to most tools: ./-r.json.
    let out = common::sine_rnn(&["--epochs", "1", "--no-plot", "--json", "./-r.json"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("-r.json").is_file());
}

#[test]
fn an_output_over_the_init_weights_file_is_refused_and_the_weights_survive() {
    let dir = scratch();
    let d = dir.path();
    let out = common::sine_rnn(&["--epochs", "1", "--no-plot", "--save-weights", "v.st"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    let weights = std::fs::read(d.join("v.st")).unwrap();
    std::os::unix::fs::symlink("v.st", d.join("link.st")).unwrap();
    for (input, flag, output) in
        [("v.st", "--json", "v.st"), ("link.st", "--trace", "./v.st"), ("v.st", "--json", "link.st")]
    {
        let args = ["--init-weights", input, flag, output, "--epochs", "1", "--no-plot"];
        let rs = common::sine_rnn(&args, d);
        assert_eq!(rs.status.code(), Some(2), "{args:?}");
        let said = format!(
            "{flag}: {output} is the --init-weights file, which this run reads; give the output another name"
        );
        assert_eq!(stderr(&rs), format!("sine-rnn: error: {said} (see sine-rnn --help)\n"));
        assert_eq!(std::fs::read(d.join("v.st")).unwrap(), weights, "{args:?}");
    }
    // Updating the weights in place is allowed.
    let out = common::sine_rnn(
        &["--init-weights", "v.st", "--save-weights", "v.st", "--epochs", "1", "--no-plot"],
        d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(std::fs::read(d.join("v.st")).unwrap(), weights);
}

#[test]
fn a_file_size_limit_is_an_error_that_says_so_and_leaves_nothing() {
    let dir = scratch();
    for (flag, file, limit) in [("--trace", "t.jsonl", 1024), ("--json", "r.json", 8)] {
        // ulimit -f counts 1024-byte blocks.
        let script = format!("ulimit -f {limit}; exec \"$0\" --no-plot {flag} {file}");
        let out =
            Command::new("sh").args(["-c", &script, common::BIN]).current_dir(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("{file}: File too large (os error 27)")), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{flag}: nothing left");
    }
}

#[test]
fn outputs_to_stdout_and_fifos_need_no_temporary_directory() {
    let dir = scratch();
    let run = |args: &[&str]| {
        Command::new(BIN).args(args).env("TMPDIR", "/nonexistent").current_dir(dir.path()).output().unwrap()
    };
    let out = run(&["--epochs", "1", "--no-plot", "--json", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("sine-rnn: wrote the record to stdout"));
    let out = run(&["--epochs", "1", "--no-plot", "--trace", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("sine-rnn: wrote the trace to stdout"), "{}", stderr(&out));
    assert!(stdout(&out).contains("{\"at\":[\"train\",0,19]"), "{}", stdout(&out));
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let reader = read_in_background(&fifo);
    let out = run(&["--epochs", "1", "--no-plot", "--json", "pipe"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(reader.join().unwrap().contains("\"format\": \"sine-rnn-run/1\""));
}

#[test]
fn binary_weights_do_not_go_to_stdout() {
    let out = common::sine_rnn(&["--epochs", "1", "--no-plot", "--save-weights", "-"], scratch().path());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out),
        "sine-rnn: error: --save-weights: safetensors is binary, so it does not go to stdout; give a file name \
         (for a file named -, write ./-) (see sine-rnn --help)\n"
    );
}

#[test]
fn paths_that_would_fail_at_the_end_are_refused_before_training() {
    let dir = scratch();
    let d = dir.path();
    // A socket takes no file; a value like a negative number is a flag to clap.
    let _socket = std::os::unix::net::UnixListener::bind(d.join("sock.json")).unwrap();
    for (args, said) in [
        (&["--json", "sock.json"][..], "sine-rnn: error: --json: sock.json is a socket, which takes no file"),
        (&["--json", "-5"][..], "sine-rnn: error: unexpected argument '-5' found"),
        (&["--save-weights", "/dev/stdout"][..], "sine-rnn: error: --save-weights: safetensors is binary"),
        // A missing --init-weights file is missing, whatever else names it.
        (
            &["--init-weights", "w.st", "--json", "w.st"][..],
            "sine-rnn: error: --init-weights: w.st does not exist",
        ),
    ] {
        let out = common::sine_rnn(args, d);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).starts_with(said), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}: nothing trained");
    }
}

#[test]
fn a_record_on_stdout_whose_reader_goes_away_is_no_error() {
    // 3,000 epochs: a record larger than a pipe holds, so its write meets the closed end.
    let dir = scratch();
    let script = format!("set -o pipefail; '{BIN}' --epochs 3000 --no-plot --json - 2>/dev/null | head -1");
    let out = Command::new("bash").args(["-c", &script]).current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Epoch: 0 loss 2.853710651397705\n");
}

#[test]
fn a_name_the_file_system_refuses_is_refused_before_training_for_every_output() {
    let dir = scratch();
    let d = dir.path();
    // One component over NAME_MAX (255 bytes on Linux file systems), and a path
    // over PATH_MAX (4,096 bytes) whose every component is short.
    let long = format!("{}.svg", "x".repeat(300));
    let deep = format!("{}w.svg", "./".repeat(2100));
    for flag in ["--plot", "--loss-plot", "--json", "--save-weights", "--trace"] {
        for name in [&long, &deep] {
            let out = common::sine_rnn(&[flag, name.as_str(), "--epochs", "3000"], d);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
            assert!(out.stdout.is_empty(), "{flag}: trained before refusing");
            assert_eq!(err.lines().count(), 1, "{flag}: {err}");
            assert!(err.starts_with(&format!("sine-rnn: error: {flag}: ")), "{flag}: {err}");
            assert!(err.contains("File name too long"), "{flag}: {err}");
        }
    }
    assert_eq!(std::fs::read_dir(d).unwrap().count(), 0, "nothing created");
    // A name the file system takes passes the check and is not left behind.
    assert_eq!(check_output_path(&d.join("new.json")), Ok(()));
    assert_eq!(std::fs::read_dir(d).unwrap().count(), 0, "the tried name is gone");
}
