//! docs/line-by-line.md quotes our code and the Python reference beside each other.
//! Every fenced block whose info string is `<lang> <path>` is a quote of that file:
//! each of its non-empty lines, trimmed, must still be a line of the file. When the
//! code changes and a quote no longer matches, this test names the doc line, the
//! file and the line that went missing, so the document cannot rot silently.

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

const DOC: &str = "docs/line-by-line.md";

/// What checking a document found.
#[derive(Debug, Default)]
struct Checked {
    /// Quoted lines found in their files.
    lines: usize,
    /// Every file some block quotes, as named in the doc.
    files: BTreeSet<String>,
    /// One message per problem: a missing line, a missing file, a malformed block.
    problems: Vec<String>,
}

/// A fence opener or closer: its character (` or ~), its length, and the rest of the line.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let t = line.trim_start();
    let c = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = t.chars().take_while(|x| *x == c).count();
    (n >= 3).then(|| (c, n, &t[n..]))
}

/// Checks every quoting block of `doc` (named `doc_name` in messages) against the
/// files under `root`.
fn check(doc_name: &str, doc: &str, root: &Path) -> Checked {
    let mut out = Checked::default();
    // Each quoted file's trimmed lines, read once; None when it cannot be read.
    let mut files: HashMap<String, Option<HashSet<String>>> = HashMap::new();
    let mut lines = doc.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((open_no, line)) = lines.next() {
        let Some((c, n, info)) = fence(line) else { continue };
        let words: Vec<&str> = info.split_whitespace().collect();
        // The block's body, up to the closing fence (same character, at least as long).
        let mut body = Vec::new();
        let mut closed = false;
        for (no, l) in lines.by_ref() {
            if let Some((c2, n2, rest)) = fence(l) {
                if c2 == c && n2 >= n && rest.trim().is_empty() {
                    closed = true;
                    break;
                }
            }
            body.push((no, l));
        }
        if !closed {
            out.problems.push(format!("{doc_name}:{open_no}: this code block is never closed"));
        }
        let path = match words.as_slice() {
            [] | [_] => continue, // not a quote: ```rust, ```text
            [_, path] => *path,
            _ => {
                out.problems.push(format!(
                    "{doc_name}:{open_no}: info string `{}` is neither `<lang>` nor `<lang> <path>`",
                    info.trim()
                ));
                continue;
            }
        };
        out.files.insert(path.to_string());
        let known = files.entry(path.to_string()).or_insert_with(|| {
            std::fs::read_to_string(root.join(path))
                .ok()
                .map(|text| text.lines().map(|l| l.trim().to_string()).collect())
        });
        let Some(known) = known else {
            out.problems.push(format!("{doc_name}:{open_no}: quotes {path}, which does not exist"));
            continue;
        };
        let mut quoted = 0;
        for (no, l) in body {
            let l = l.trim();
            if l.is_empty() {
                continue;
            }
            quoted += 1;
            if known.contains(l) {
                out.lines += 1;
            } else {
                out.problems.push(format!("{doc_name}:{no}: not a line of {path}: `{l}`"));
            }
        }
        if quoted == 0 {
            out.problems.push(format!("{doc_name}:{open_no}: the quote of {path} is empty"));
        }
    }
    out
}

#[test]
fn every_quote_in_the_line_by_line_doc_is_still_in_its_file() {
    let root = common::root();
    let doc = std::fs::read_to_string(root.join(DOC)).unwrap_or_else(|e| panic!("reading {DOC}: {e}"));
    let checked = check(DOC, &doc, root);
    assert!(
        checked.problems.is_empty(),
        "{} quote problem(s); update the doc to the code:\n{}",
        checked.problems.len(),
        checked.problems.join("\n")
    );
    assert!(checked.lines >= 30, "only {} quoted lines checked; expected at least 30", checked.lines);
    assert!(checked.files.contains("scripts/reference.py"), "the doc never quotes scripts/reference.py");
    let src: Vec<_> = checked.files.iter().filter(|f| f.starts_with("src/")).collect();
    assert!(src.len() >= 5, "the doc quotes only {} src/ files: {src:?}", src.len());
    eprintln!("{DOC}: {} quoted lines from {} files checked", checked.lines, checked.files.len());
}

#[test]
fn an_altered_quote_is_reported_with_its_line_file_and_text() {
    let root = common::root();
    let train = std::fs::read_to_string(root.join("src/train.rs")).unwrap();
    let real = train.lines().find(|l| l.contains("pow_tensor_scalar(2)")).expect("the loss line").trim();
    let altered = real.replace("pow_tensor_scalar(2)", "pow_tensor_scalar(3)");
    assert_ne!(real, altered);
    let doc = format!("# t\n\n```rust src/train.rs\n    {real}\n\n    {altered}\n```\n");
    let checked = check("t.md", &doc, root);
    assert_eq!(checked.lines, 1, "the real line is found: {checked:?}");
    assert_eq!(checked.problems, [format!("t.md:6: not a line of src/train.rs: `{altered}`")]);
}

#[test]
fn a_missing_file_or_an_unclosed_block_is_reported() {
    let root = common::root();
    let doc = "```rust src/no_such_file.rs\nfn main() {}\n```\n\n```text\nnot a quote\n```\n";
    let checked = check("t.md", doc, root);
    assert_eq!(checked.lines, 0);
    assert_eq!(checked.problems, ["t.md:1: quotes src/no_such_file.rs, which does not exist"]);

    let checked = check("t.md", "```python scripts/reference.py\nimport torch\n", root);
    assert_eq!(checked.lines, 1);
    assert_eq!(checked.problems, ["t.md:1: this code block is never closed"]);
}
