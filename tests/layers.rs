//! The library's layers, read from its source: each module uses only those below
//! it (main, cli, tool, workbench, backends, steps, pyfmt, top to bottom), no two
//! modules use each other, even through others, and only the command line knows
//! clap. A `use` that breaks the order fails here with the file and the path.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, top first.
const LAYERS: [&str; 7] = ["main", "cli", "tool", "workbench", "backends", "steps", "pyfmt"];

/// Every `.rs` file under `dir`, as (module path, text), `mod.rs` and `lib.rs` left
/// out (they only declare modules).
fn modules(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let (path, name) = (entry.path(), entry.file_name().to_string_lossy().into_owned());
        if path.is_dir() {
            modules(&path, &format!("{prefix}{name}::"), out);
        } else if let Some(stem) = name.strip_suffix(".rs").filter(|s| !["mod", "lib"].contains(s)) {
            out.push((format!("{prefix}{stem}"), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The modules a file's code (not its comments) names through `crate::` (or
/// `sine_rnn::`, from the binary): `crate::tool::files::stage` and
/// `crate::tool::{files, signals}` name `tool::files` and `tool::signals`.
fn uses(text: &str, src: &Path) -> BTreeSet<String> {
    let code: String =
        text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut found = BTreeSet::new();
    for root in ["crate::", "sine_rnn::"] {
        for (at, _) in code.match_indices(root) {
            let rest = &code[at + root.len()..];
            let first: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let after = &rest[first.len()..];
            let seconds: Vec<String> = match after.strip_prefix("::") {
                Some(tail) if tail.starts_with('{') => tail[1..tail.find('}').unwrap()]
                    .split(',')
                    .map(|s| s.trim().split("::").next().unwrap().split(' ').next().unwrap().to_string())
                    .collect(),
                Some(tail) => {
                    vec![tail.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()]
                }
                None => vec![String::new()],
            };
            for second in seconds {
                let sub = src.join(&first).join(format!("{second}.rs"));
                found.insert(match first.as_str() {
                    "note" => "tool::process".to_string(), // the macro lives there
                    _ if sub.is_file() => format!("{first}::{second}"),
                    _ => first.clone(),
                });
            }
        }
    }
    found
}

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| module.split("::").next() == Some(*l))
}

#[test]
fn every_module_uses_only_the_layers_below_it_and_no_cycle() {
    let src = common::root().join("src");
    let mut all = Vec::new();
    modules(&src, "", &mut all);
    assert!(all.len() > 20, "{} modules", all.len());
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (module, text) in &all {
        let here = layer(module).unwrap_or_else(|| panic!("{module} is in no layer"));
        for used in uses(text, &src) {
            match layer(&used) {
                Some(there) if there < here => {
                    problems.push(format!("{module} uses {used}, a layer above it"))
                }
                Some(_) if used != *module => drop(graph.entry(module.clone()).or_default().insert(used)),
                _ => {} // the crate root's LIBTORCH_VERSION, or itself
            }
        }
        if text.contains("clap") && module != "cli" {
            problems.push(format!("{module} mentions clap, which only the command line knows"));
        }
    }
    // No cycle: repeatedly remove modules that use nothing left.
    let mut left = graph.clone();
    while let Some(leaf) = left.keys().find(|m| left[*m].iter().all(|u| !left.contains_key(u))).cloned() {
        left.remove(&leaf);
    }
    if !left.is_empty() {
        problems.push(format!("these modules use each other, directly or through others: {left:?}"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_use_that_points_up_or_round_is_caught() {
    let src = common::root().join("src");
    let text = "use crate::tool::{files, signals};\n// crate::cli::x\nfn f() { crate::note!(); crate::pyfmt::py_float(1.0); }";
    let found: Vec<String> = uses(text, &src).into_iter().collect();
    assert_eq!(found, ["pyfmt", "tool::files", "tool::process", "tool::signals"]);
    assert!(layer("steps::train") > layer("tool::files"));
}
