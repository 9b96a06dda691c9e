//! docs/line-by-line.md quotes examples/tutorial.py and examples/tutorial.rs side by
//! side. Every fenced block whose info string is `<lang> <path>` is a quote of that file:
//! its non-empty lines, trimmed, must be consecutive non-empty lines of the file, in
//! the same order; a line `...` (or `// ...`, `# ...`) marks where lines are left
//! out. When the code changes and a quote no longer matches, this test names the doc
//! line, the file and the line that went missing or moved, so the document cannot
//! rot silently.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

const DOC: &str = "docs/line-by-line.md";

/// What checking a document found.
#[derive(Debug, Default)]
struct Checked {
    /// Quoted lines found in their files.
    lines: usize,
    /// Every file some block quotes, as named in the doc.
    files: BTreeSet<String>,
    /// Each quoted line found, trimmed, with its file.
    quoted: BTreeSet<(String, String)>,
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
    // Each quoted file's non-empty lines, trimmed, read once; None when it cannot be read.
    let mut files: HashMap<String, Option<Vec<String>>> = HashMap::new();
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
                .map(|text| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
        });
        let Some(known) = known else {
            out.problems.push(format!("{doc_name}:{open_no}: quotes {path}, which does not exist"));
            continue;
        };
        let quoted: Vec<(usize, &str)> =
            body.iter().map(|(no, l)| (*no, l.trim())).filter(|(_, l)| !l.is_empty()).collect();
        let mut from = 0; // where the next excerpt may start in the file
        for segment in quoted.split(|(_, l)| is_gap(l)).filter(|s| !s.is_empty()) {
            match find_excerpt(known, segment, from) {
                Ok(end) => {
                    out.lines += segment.len();
                    out.quoted.extend(segment.iter().map(|(_, l)| (path.to_string(), l.to_string())));
                    from = end;
                }
                Err((no, l, why)) => out.problems.push(format!("{doc_name}:{no}: {why} {path}: `{l}`")),
            }
        }
        let quoted = quoted.iter().filter(|(_, l)| !is_gap(l)).count();
        if quoted == 0 {
            out.problems.push(format!("{doc_name}:{open_no}: the quote of {path} is empty"));
        }
    }
    out
}

/// A line that marks left-out lines inside a quote.
fn is_gap(line: &str) -> bool {
    matches!(line, "..." | "// ..." | "# ..." | "/// ...")
}

/// Finds `segment` as consecutive lines of `file`, at or after line `from`; returns
/// where it ends. Otherwise the first quoted line that does not fit, and why: it is
/// not in the file at all, or not where the quote puts it.
fn find_excerpt<'a>(
    file: &[String],
    segment: &[(usize, &'a str)],
    from: usize,
) -> Result<usize, (usize, &'a str, &'static str)> {
    let matched_at = |i: usize| segment.iter().zip(&file[i..]).take_while(|((_, q), f)| q == f).count();
    let (best, start) = (from..file.len())
        .map(|i| (matched_at(i), i))
        .max_by_key(|(m, i)| (*m, usize::MAX - i))
        .unwrap_or((0, from));
    if best == segment.len() {
        return Ok(start + best);
    }
    let (no, line) = segment[best];
    if file.iter().any(|f| f == line) {
        Err((no, line, "out of order (mark left-out lines with `...`) in"))
    } else {
        Err((no, line, "not a line of"))
    }
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
    for file in ["examples/tutorial.py", "examples/tutorial.rs"] {
        assert!(checked.files.contains(file), "the doc never quotes {file}");
    }
    eprintln!("{DOC}: {} quoted lines from {} files checked", checked.lines, checked.files.len());
}

/// The lines of a Python file that are code: neither blank, nor a comment, nor in
/// the module's docstring.
fn python_code(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let body = match lines.first() {
        Some(l) if l.starts_with("\"\"\"") => {
            let end = lines.iter().skip(1).position(|l| l.ends_with("\"\"\"")).map_or(lines.len(), |i| i + 2);
            &lines[end..]
        }
        _ => &lines[..],
    };
    body.iter().copied().filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

#[test]
fn the_line_by_line_doc_shows_every_line_of_the_python_tutorial() {
    let root = common::root();
    let doc = std::fs::read_to_string(root.join(DOC)).unwrap_or_else(|e| panic!("reading {DOC}: {e}"));
    let checked = check(DOC, &doc, root);
    let file = "examples/tutorial.py";
    let text = std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("reading {file}: {e}"));
    let code = python_code(&text);
    assert!(code.len() >= 40, "{file} has only {} lines of code", code.len());
    let missing: Vec<&str> =
        code.into_iter().filter(|l| !checked.quoted.contains(&(file.to_string(), l.to_string()))).collect();
    assert!(missing.is_empty(), "{DOC} does not show these lines of {file}:\n{}", missing.join("\n"));
}

#[test]
fn an_altered_quote_is_reported_with_its_line_file_and_text() {
    let root = common::root();
    let tutorial = std::fs::read_to_string(root.join("examples/tutorial.rs")).unwrap();
    let real = tutorial.lines().find(|l| l.contains("pow_tensor_scalar(2)")).expect("the loss line").trim();
    let altered = real.replace("pow_tensor_scalar(2)", "pow_tensor_scalar(3)");
    assert_ne!(real, altered);
    let doc = format!("# t\n\n```rust examples/tutorial.rs\n    {real}\n    ...\n    {altered}\n```\n");
    let checked = check("t.md", &doc, root);
    assert_eq!(checked.lines, 1, "the real line is found: {checked:?}");
    assert_eq!(checked.problems, [format!("t.md:6: not a line of examples/tutorial.rs: `{altered}`")]);
}

#[test]
fn a_quote_must_be_contiguous_and_in_order() {
    let root = common::root();
    let tutorial = std::fs::read_to_string(root.join("examples/tutorial.rs")).unwrap();
    let lines: Vec<&str> = tutorial.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let at = lines.iter().position(|l| l.contains("pow_tensor_scalar(2)")).expect("the loss line");
    let (a, b) = (lines[at - 1], lines[at]);
    // In the file's order: fine. Swapped: the second line is out of order.
    let ok = check("t.md", &format!("```rust examples/tutorial.rs\n{a}\n{b}\n```\n"), root);
    assert!(ok.problems.is_empty(), "{:?}", ok.problems);
    assert_eq!(ok.lines, 2);
    let swapped = check("t.md", &format!("```rust examples/tutorial.rs\n{b}\n{a}\n```\n"), root);
    assert_eq!(
        swapped.problems,
        [format!("t.md:3: out of order (mark left-out lines with `...`) in examples/tutorial.rs: `{a}`")]
    );
    // A lone `}` is in every file, but not right after this line.
    let sum = lines.iter().find(|l| l.starts_with("total_loss += loss")).expect("the epoch sum");
    let brace = check("t.md", &format!("```rust examples/tutorial.rs\n{sum}\n}}\n```\n"), root);
    assert_eq!(brace.problems.len(), 1, "{:?}", brace.problems);
    // Left-out lines marked as such are accepted, in order only.
    let gap = check("t.md", &format!("```rust examples/tutorial.rs\n{}\n// ...\n{b}\n```\n", lines[0]), root);
    assert!(gap.problems.is_empty(), "{:?}", gap.problems);
}

#[test]
fn a_missing_file_or_an_unclosed_block_is_reported() {
    let root = common::root();
    let doc = "```rust src/no_such_file.rs\nfn main() {}\n```\n\n```text\nnot a quote\n```\n";
    let checked = check("t.md", doc, root);
    assert_eq!(checked.lines, 0);
    assert_eq!(checked.problems, ["t.md:1: quotes src/no_such_file.rs, which does not exist"]);

    let checked = check("t.md", "```python examples/tutorial.py\nimport torch\n", root);
    assert_eq!(checked.lines, 1);
    assert_eq!(checked.problems, ["t.md:1: this code block is never closed"]);
}

#[test]
fn every_quote_in_the_time_sequence_doc_is_still_in_its_file() {
    let (root, name) = (common::root(), "docs/time-sequence.md");
    let doc = std::fs::read_to_string(root.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"));
    let checked = check(name, &doc, root);
    assert!(checked.problems.is_empty(), "update the doc to the code:\n{}", checked.problems.join("\n"));
    for file in ["examples/time_sequence.py", "examples/time_sequence.rs"] {
        assert!(checked.files.contains(file), "{name} never quotes {file}");
    }
}
