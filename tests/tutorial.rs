//! The two one-file tutorials, examples/tutorial.py and examples/tutorial.rs,
//! against PyTorch's outputs kept in tests/golden/ (tests/golden.rs checks the Rust
//! example's stdout there): the Python prints the golden stdout and takes the same
//! flags; the Rust example plots PyTorch's data and predictions, and refuses what
//! cannot work before it trains, as a usage error (exit 2).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::golden::{self, bare, values};
use common::{root, scratch, stderr, stdout};

/// scripts/python, with neither kernel variable set (the script pins them), and
/// wide enough that argparse does not wrap its help.
fn python() -> Command {
    let mut cmd = bare(root().join("scripts/python"));
    cmd.env("COLUMNS", "200");
    cmd
}

/// Fails, naming the fix, when scripts/python cannot run the Python tutorial.
fn require_python() {
    let fix = "run scripts/fetch_libtorch.sh --python to make the Python environment";
    match python().args(["-c", "import matplotlib, numpy, torch"]).output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            panic!("scripts/python cannot import torch, numpy and matplotlib; {fix}:\n{}", stderr(&out))
        }
        Err(e) => panic!("scripts/python does not run ({e}); {fix}"),
    }
}

#[test]
fn the_python_tutorial_prints_pytorchs_golden_stdout() {
    require_python();
    golden::two_at_a_time(&golden::plain(), |g| {
        let dir = scratch();
        let out = python()
            .arg(root().join("examples/tutorial.py"))
            .args(&g.flags)
            .args(["--plot", "t.png"])
            .current_dir(dir.path())
            .output()
            .expect("scripts/python runs");
        assert!(out.status.success(), "{}: {}", g.name, stderr(&out));
        assert!(
            out.stdout == g.stdout,
            "{} ({}): examples/tutorial.py's stdout differs from PyTorch's golden one:\n{}",
            g.name,
            g.flags.join(" "),
            stdout(&out)
        );
        let png = std::fs::read(dir.path().join("t.png")).expect("the plot is written");
        assert!(png.starts_with(b"\x89PNG"), "{}: the plot is no PNG", g.name);
    });
}

/// Each `--flag` of a help text with the default it states (`[default: 0]` from
/// clap, `(default: 0)` from argparse).
fn defaults(help: &str) -> BTreeMap<String, String> {
    let mut entries: Vec<String> = Vec::new();
    for line in help.lines().map(str::trim) {
        match entries.last_mut() {
            _ if line.starts_with('-') => entries.push(line.to_string()),
            Some(entry) if !line.is_empty() => *entry += &format!(" {line}"),
            _ => {}
        }
    }
    entries
        .iter()
        .filter_map(|e| {
            let flag = e.split_whitespace().find(|w| w.starts_with("--"))?.trim_end_matches(',');
            let (_, rest) = e.split_once("default: ")?;
            Some((flag.to_string(), rest[..rest.find([']', ')'])?].to_string()))
        })
        .collect()
}

#[test]
fn the_python_tutorial_takes_the_examples_flags_with_the_same_defaults() {
    require_python();
    let py = python().args([&root().join("examples/tutorial.py")]).arg("--help").output().expect("runs");
    assert!(py.status.success(), "{}", stderr(&py));
    let rs = bare(common::example("tutorial")).arg("--help").output().expect("the example runs");
    assert!(rs.status.success(), "{}", stderr(&rs));
    let (mut py, mut rs) = (defaults(&stdout(&py)), defaults(&stdout(&rs)));
    let flags = ["--epochs", "--hidden-size", "--lr", "--plot", "--seed", "--seq-length"];
    assert_eq!(rs.keys().collect::<Vec<_>>(), flags, "the example's flags, each with its default");
    assert_eq!(py.keys().collect::<Vec<_>>(), flags, "the Python tutorial's flags, each with its default");
    // Each writes its own plot, so that neither overwrites the other's.
    let (py_plot, rs_plot) = (py.remove("--plot"), rs.remove("--plot"));
    // One scheme with the binary's sine_wave.png and reference.py's sine_wave_python.png.
    assert_eq!(rs_plot.as_deref(), Some("sine_wave_tutorial.svg"));
    assert_eq!(py_plot.as_deref(), Some("sine_wave_tutorial_python.png"));
    assert_eq!(py, rs);
    assert_eq!(rs["--epochs"], "300", "the tutorial's constants");
    assert_eq!(rs["--seq-length"], "20");
}

/// A numeric attribute of an SVG element.
fn attr(element: &str, name: &str) -> f64 {
    let start = element.find(&format!(" {name}=\"")).expect("the attribute") + name.len() + 3;
    element[start..].split('"').next().and_then(|v| v.parse().ok()).expect("a number")
}

/// The SVG's circles, in drawing order: (cx, cy, r).
fn circles(svg: &str) -> Vec<(f64, f64, f64)> {
    let tags = svg.split("<circle").skip(1).filter_map(|c| c.split('>').next());
    tags.map(|c| (attr(c, "cx"), attr(c, "cy"), attr(c, "r"))).collect()
}

/// The legend's frame, the one rectangle drawn with a black border: (x, y, w, h).
fn legend_frame(svg: &str) -> (f64, f64, f64, f64) {
    let rect = svg
        .split("<rect")
        .filter_map(|r| r.split('>').next())
        .find(|r| r.contains("stroke=\"#000000\""))
        .expect("a framed legend");
    (attr(rect, "x"), attr(rect, "y"), attr(rect, "width"), attr(rect, "height"))
}

/// The affine map through two (value, pixel) pairs.
fn line_through((v0, p0): (f64, f64), (v1, p1): (f64, f64)) -> impl Fn(f64) -> f64 {
    move |v| p0 + (v - v0) * (p1 - p0) / (v1 - v0)
}

#[test]
fn the_example_plots_pytorchs_data_and_predictions_and_the_legend_hides_none() {
    let names = ["tutorial", "hidden-1-short", "hidden-16", "tiny-loss", "untrained", "divergent"];
    for g in golden::plain().iter().filter(|g| names.contains(&g.name.as_str())) {
        let dir = scratch();
        let out = bare(common::example("tutorial"))
            .args(&g.flags)
            .args(["--plot", "t.svg"])
            .current_dir(dir.path())
            .output()
            .expect("the example runs");
        assert!(out.status.success(), "{}: {}", g.name, stderr(&out));
        let svg = std::fs::read_to_string(dir.path().join("t.svg")).expect("the plot is written");
        assert!(svg.starts_with("<svg") && svg.contains("Actual") && svg.contains("Predicted"), "{}", g.name);

        // PyTorch's points: the data at t[:-1], the finite predictions at t[1:]
        // (one that is not finite is left out, as matplotlib leaves it out).
        let data = values(&g.record, "data");
        let n = data.len() - 1;
        let t = |k: usize| 2.0 + 8.0 * k as f64 / n as f64;
        let mut want: Vec<(f64, f64, f64)> = (0..n).map(|k| (t(k), data[k] as f64, 7.0)).collect();
        let predictions = values(&g.record, "predictions");
        assert_eq!(predictions.len(), n, "{}", g.name);
        let finite = predictions.iter().enumerate().filter(|(_, p)| p.is_finite());
        want.extend(finite.map(|(k, p)| (t(k + 1), *p as f64, 4.0)));
        let got = circles(&svg);
        // The series, then one marker of each in the legend.
        assert_eq!(got.len(), want.len() + 2, "{}: circles", g.name);
        let (lowest, highest) = (0..n).fold((0, 0), |(lo, hi), k| {
            (if data[k] < data[lo] { k } else { lo }, if data[k] > data[hi] { k } else { hi })
        });
        let px = line_through((t(0), got[0].0), (t(n - 1), got[n - 1].0));
        let py = line_through((data[lowest] as f64, got[lowest].1), (data[highest] as f64, got[highest].1));
        for (k, ((tk, v, r), (cx, cy, cr))) in want.iter().zip(&got).enumerate() {
            let at = format!("{}: circle {k} at ({cx}, {cy}) r {cr}, for ({tk}, {v}) r {r}", g.name);
            assert!(cr == r && (px(*tk) - cx).abs() <= 2.0 && (py(*v) - cy).abs() <= 2.0, "{at}");
        }
        // Inside the legend's frame: its two markers, and no point of the data.
        let (x, y, w, h) = legend_frame(&svg);
        let inside = got.iter().filter(|(cx, cy, _)| (x..=x + w).contains(cx) && (y..=y + h).contains(cy));
        assert_eq!(inside.count(), 2, "{}: the legend covers a point", g.name);
    }
}

/// Runs the example with `args` in `dir`, with no backtrace asked for; fails the
/// test if it has not finished within a minute (and stops it).
fn example_briefly(args: &[&str], dir: &Path) -> Output {
    let mut child = bare(common::example("tutorial"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("waiting for the example").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tutorial {args:?} still runs after a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("the example's output")
}

/// A refusal: the exit status, nothing trained, no panic; returns stderr.
fn refused(args: &[&str], dir: &Path, status: i32) -> String {
    let out = example_briefly(args, dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(status), "{args:?}: {err}");
    assert!(!stdout(&out).contains("Epoch:"), "{args:?} trained:\n{}", stdout(&out));
    assert!(!err.contains("panicked") && !err.contains("Exception raised from"), "{args:?}: {err}");
    err
}

#[test]
fn a_plot_path_that_cannot_be_written_is_refused_before_training() {
    let dir = scratch();
    let status = Command::new("mkfifo").arg(dir.path().join("pipe.svg")).status().expect("mkfifo runs");
    assert!(status.success());
    std::fs::create_dir(dir.path().join("folder.svg")).expect("a directory");
    std::os::unix::fs::symlink("nowhere/t.svg", dir.path().join("dangling.svg")).expect("a symbolic link");
    for (plot, why) in [
        ("sine_wave.png", "the plot is written as SVG, so its name must end in .svg"),
        ("no/such/dir/t.svg", "cannot find the directory no/such/dir"),
        // A FIFO with no reader would block the write forever; a directory is no file.
        ("pipe.svg", "exists and is not a regular file (nor a link to one)"),
        ("folder.svg", "exists and is not a regular file (nor a link to one)"),
        ("dangling.svg", "exists and is not a regular file (nor a link to one)"),
        // Names that end in a directory, whatever they say before it.
        ("t.svg/", "names a directory; give a file name"),
        ("t.svg/.", "names a directory; give a file name"),
        // A directory nobody may write to (/proc takes no files, even from root).
        ("/proc/t.svg", "the directory /proc is read-only"),
    ] {
        // A usage error, as clap reports every one: exit 2, and the reason in one line.
        let err = refused(&["--plot", plot], dir.path(), 2);
        assert_eq!(
            err.lines().next(),
            Some(format!("error: invalid value '{plot}' for '--plot <PLOT>': {why}").as_str())
        );
    }
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["dangling.svg", "folder.svg", "pipe.svg"], "a refused run writes nothing");
    // A link to a regular file is written through.
    std::fs::write(dir.path().join("real.svg"), "old").expect("a file");
    std::os::unix::fs::symlink("real.svg", dir.path().join("link.svg")).expect("a symbolic link");
    let out = example_briefly(&["--epochs", "0", "--plot", "link.svg"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let real = std::fs::read_to_string(dir.path().join("real.svg")).expect("the plot");
    assert!(real.starts_with("<svg"), "the link's target holds the plot");
}

#[test]
fn sizes_beyond_the_bounds_are_usage_errors_before_training() {
    let dir = scratch();
    for (flag, value, range) in [
        ("--hidden-size", "100000", "1..=4096"),
        ("--hidden-size", "0", "1..=4096"),
        ("--seq-length", "1000001", "1..=1000000"),
        ("--seq-length", "0", "1..=1000000"),
        ("--epochs", "10000001", "0..=10000000"),
    ] {
        let arg = flag.trim_start_matches("--").replace('-', "_").to_uppercase();
        let err = refused(&[flag, value], dir.path(), 2);
        assert_eq!(
            err.lines().next(),
            Some(
                format!("error: invalid value '{value}' for '{flag} <{arg}>': {value} is not in {range}")
                    .as_str()
            ),
            "{err}"
        );
    }
    // The bounds themselves are taken.
    let out = example_briefly(&["--hidden-size", "4096", "--seq-length", "2", "--epochs", "1"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Epoch: 0 loss "), "{}", stdout(&out));
}

#[test]
fn both_python_examples_refuse_a_kernel_variable_that_is_not_text_in_one_line() {
    use std::os::unix::ffi::OsStrExt;
    require_python();
    for (file, name) in [("tutorial.py", "MKL_CBWR"), ("rnn_nn.py", "ATEN_CPU_CAPABILITY")] {
        let out = python()
            .arg(root().join("examples").join(file))
            .args(["--epochs", "1"])
            .env(name, std::ffi::OsStr::from_bytes(b"avx\xff"))
            .current_dir(scratch().path())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{file}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{file}: trained");
        assert!(
            stderr(&out).starts_with(&format!("{file}: error: {name} is not ASCII text;")),
            "{}",
            stderr(&out)
        );
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
}
