//! Atomic output: a failed or interrupted write never truncates the target and
//! never removes the previous good file, and leaves no temporary file behind.

mod common;

use sine_rnn::tool::files::{create, stage};
use std::io::Write;

/// Stages `bytes` for `path` and puts them in place.
fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    stage(path, bytes)?.commit().map(drop)
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_write_replaces_the_file_whole() {
    let dir = common::scratch();
    let target = dir.path().join("plot.png");
    std::fs::write(&target, b"old").unwrap();
    write_atomic(&target, b"new content").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new content");
    assert_eq!(entries(dir.path()), ["plot.png"]);
}

#[test]
fn a_write_that_fails_half_way_keeps_the_previous_file() {
    let dir = common::scratch();
    let target = dir.path().join("plot.png");
    std::fs::write(&target, b"previous good plot").unwrap();
    // Half written, then given up (a write error, a failed render): never committed.
    let mut half = create(&target).unwrap();
    half.write_all(b"half a pl").unwrap();
    drop(half);
    assert_eq!(std::fs::read(&target).unwrap(), b"previous good plot");
    assert_eq!(entries(dir.path()), ["plot.png"], "temporary file left behind");
}

#[test]
fn outputs_staged_together_are_not_committed_when_a_later_one_fails() {
    let dir = common::scratch();
    let (json, plot) = (dir.path().join("run.json"), dir.path().join("plot.png"));
    std::fs::write(&json, b"previous record").unwrap();
    let first = stage(&json, b"new record").unwrap();
    let second = create(&plot).unwrap();
    drop((first, second)); // the run gives up: nothing was committed
    assert_eq!(std::fs::read(&json).unwrap(), b"previous record");
    assert_eq!(entries(dir.path()), ["run.json"], "temporary files left behind");
    // Both staged, both committed.
    let staged = [stage(&json, b"new record").unwrap(), stage(&plot, b"png").unwrap()];
    for s in staged {
        s.commit().unwrap();
    }
    assert_eq!(std::fs::read(&json).unwrap(), b"new record");
    assert_eq!(entries(dir.path()), ["plot.png", "run.json"]);
}

#[test]
fn a_write_that_cannot_be_put_in_place_leaves_things_as_they_were() {
    let dir = common::scratch();
    // The target is a non-empty directory: the final rename fails.
    let target = dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let e = write_atomic(&target, b"data").unwrap_err();
    assert!(format!("{e:#}").contains("cannot move the new file into place"), "{e:#}");
    assert!(target.join("keep").exists());
    assert_eq!(entries(dir.path()), ["taken"]);
    // A directory that does not exist: nothing is created anywhere.
    assert!(write_atomic(&dir.path().join("no/such/x.json"), b"data").is_err());
    assert_eq!(entries(dir.path()), ["taken"]);
}

#[test]
fn an_unwritable_location_is_refused_before_training() {
    // /proc accepts no new files, even from root.
    let out = common::sine_rnn(&["--plot", "/proc/sine_wave.png"], common::root());
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("cannot write in /proc"), "{}", common::stderr(&out));
    assert!(out.stdout.is_empty());
}
