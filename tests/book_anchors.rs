//! Keeps the book and the code in sync, without needing mdBook.
//!
//! mdBook includes a missing anchor as an empty code block, silently. These
//! tests fail instead when a chapter's `{{#include file:anchor}}` names a file
//! or an anchor that does not exist (or holds no code), when an `ANCHOR` in
//! the source is shown by no chapter, when an equation of the design has no
//! chapter with its equation, derivation, code, test and exercises, or when
//! an equation chapter (or the matrices chapter) shows code from the engine,
//! `src/engine/`, which only the performance chapter may.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The equation tags of `../shared/DESIGN.md`, one chapter each.
const TAGS: [&str; 16] = [
    "F0", "F1", "F2", "F3", "F4", "F5", "B1", "B2", "B3", "B4", "B5", "B6", "O1", "O2", "S1", "G1",
];

fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn chapters() -> Vec<(PathBuf, String)> {
    let mut md = Vec::new();
    files_under(&Path::new(ROOT).join("book/src"), "md", &mut md);
    md.sort();
    md.into_iter()
        .map(|p| (p.clone(), fs::read_to_string(&p).unwrap()))
        .collect()
}

/// Every `{{#include path:anchor}}` and `{{#rustdoc_include path:anchor}}`.
fn includes(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for directive in ["{{#include ", "{{#rustdoc_include "] {
        let mut rest = text;
        while let Some(start) = rest.find(directive) {
            let body = &rest[start + directive.len()..];
            let end = body.find("}}").expect("unterminated {{#include");
            let spec = body[..end].trim();
            // path:anchor, or path:line ranges such as path:10: or path:3:7
            let (path, selector) = match spec.split_once(':') {
                Some((p, s)) => (p.to_string(), Some(s.to_string())),
                None => (spec.to_string(), None),
            };
            let anchor = selector.filter(|s| !s.chars().all(|c| c.is_ascii_digit() || c == ':'));
            out.push((path, anchor));
            rest = &body[end..];
        }
    }
    out
}

/// The lines between `ANCHOR: name` and `ANCHOR_END: name`, without marker lines.
fn anchored(source: &str, name: &str) -> Option<Vec<String>> {
    let mut inside = false;
    let mut found = false;
    let mut lines = Vec::new();
    for line in source.lines() {
        let marker = |kind: &str| {
            line.trim_start()
                .strip_prefix("// ")
                .and_then(|l| l.strip_prefix(kind))
                .map(str::trim)
                == Some(name)
        };
        if marker("ANCHOR:") {
            inside = true;
            found = true;
        } else if marker("ANCHOR_END:") {
            inside = false;
        } else if inside && !line.contains("ANCHOR:") && !line.contains("ANCHOR_END:") {
            lines.push(line.to_string());
        }
    }
    found.then_some(lines)
}

/// Every `(file, anchor)` defined under `src/` (and in tests and examples).
fn defined_anchors() -> BTreeSet<(PathBuf, String)> {
    let mut rs = Vec::new();
    for dir in ["src", "tests", "examples"] {
        files_under(&Path::new(ROOT).join(dir), "rs", &mut rs);
    }
    let mut out = BTreeSet::new();
    for path in rs {
        if path.components().any(|c| c.as_os_str() == "target") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            if let Some(name) = line.trim_start().strip_prefix("// ANCHOR: ") {
                out.insert((path.canonicalize().unwrap(), name.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn every_include_resolves_to_code() {
    let mut checked = 0;
    for (chapter, text) in chapters() {
        for (path, anchor) in includes(&text) {
            let file = chapter.parent().unwrap().join(&path);
            let source = fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {{{{#include {path}}}}}: {e}", chapter.display()));
            if let Some(anchor) = anchor {
                let lines = anchored(&source, &anchor).unwrap_or_else(|| {
                    panic!(
                        "{}: anchor {anchor:?} not found in {path}",
                        chapter.display()
                    )
                });
                assert!(
                    lines.iter().any(|l| !l.trim().is_empty()),
                    "{}: anchor {anchor:?} in {path} is empty",
                    chapter.display()
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 30,
        "only {checked} includes found: is book/src there?"
    );
}

#[test]
fn every_anchor_in_the_source_is_shown_by_a_chapter() {
    let mut used = BTreeSet::new();
    for (chapter, text) in chapters() {
        for (path, anchor) in includes(&text) {
            if let (Some(anchor), Ok(file)) =
                (anchor, chapter.parent().unwrap().join(&path).canonicalize())
            {
                used.insert((file, anchor));
            }
        }
    }
    let unused: Vec<_> = defined_anchors()
        .into_iter()
        .filter(|a| !used.contains(a))
        .map(|(f, a)| format!("{}:{a}", f.strip_prefix(ROOT).unwrap_or(&f).display()))
        .collect();
    assert!(unused.is_empty(), "anchors no chapter includes: {unused:?}");
}

/// The file of the chapter for an equation tag, from its line in SUMMARY.md
/// (`- [F1 · The hidden state](f1-hidden.md)`).
fn chapter_of(summary: &str, tag: &str) -> String {
    let line = summary
        .lines()
        .find(|l| l.contains(&format!("[{tag} ·")))
        .unwrap_or_else(|| panic!("SUMMARY.md has no chapter for {tag}"));
    line[line.find("](").unwrap() + 2..line.rfind(')').unwrap()].to_string()
}

/// The includes of a chapter's text that name a file under `src/engine/`.
fn engine_includes(chapter_dir: &Path, text: &str) -> Vec<String> {
    let engine = Path::new(ROOT).join("src/engine").canonicalize().unwrap();
    includes(text)
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| {
            // A file that does not exist is every_include_resolves_to_code's
            // to report; here, judge its path as written.
            chapter_dir
                .join(path)
                .canonicalize()
                .map_or_else(|_| path.contains("src/engine/"), |f| f.starts_with(&engine))
        })
        .collect()
}

#[test]
fn equation_chapters_show_no_engine_code() {
    // The teaching layer's pages: one chapter per equation, the matrices
    // chapter and the whole algorithm on one page. The engine's machinery
    // belongs in performance.md.
    let book = Path::new(ROOT).join("book/src");
    let summary = fs::read_to_string(book.join("SUMMARY.md")).unwrap();
    let mut files: Vec<String> = TAGS.iter().map(|tag| chapter_of(&summary, tag)).collect();
    files.push("matrices.md".to_string());
    files.push("one-page.md".to_string());
    for file in &files {
        let text = fs::read_to_string(book.join(file)).unwrap();
        let found = engine_includes(&book, &text);
        assert!(
            found.is_empty(),
            "{file} includes engine code {found:?}: the equation chapters show the \
             teaching layer; the engine belongs in performance.md"
        );
    }
    assert_eq!(files.len(), TAGS.len() + 2);
}

#[test]
fn the_checks_catch_an_engine_include() {
    let book = Path::new(ROOT).join("book/src");
    let text = "```rust\n{{#include ../../src/engine/pass.rs:forward_fast}}\n```\n\
                ```rust\n{{#include ../../src/forward.rs:F5_total}}\n```";
    assert_eq!(
        engine_includes(&book, text),
        ["../../src/engine/pass.rs".to_string()]
    );
}

#[test]
fn every_equation_has_a_complete_chapter() {
    let summary = fs::read_to_string(Path::new(ROOT).join("book/src/SUMMARY.md")).unwrap();
    let design = Path::new(ROOT).join("../shared/DESIGN.md");
    if let Ok(design) = fs::read_to_string(design) {
        // The tags are the first column of DESIGN.md's table: `| F0 | ...`.
        for line in design.lines() {
            if let Some(tag) = line.strip_prefix("| ").and_then(|l| l.split(" |").next()) {
                let is_tag = tag.len() == 2
                    && tag.as_bytes()[0].is_ascii_uppercase()
                    && tag.as_bytes()[1].is_ascii_digit();
                assert!(
                    !is_tag || TAGS.contains(&tag),
                    "DESIGN.md has tag {tag}, unknown here"
                );
            }
        }
    }
    for tag in TAGS {
        let file = chapter_of(&summary, tag);
        let text = fs::read_to_string(Path::new(ROOT).join("book/src").join(&file)).unwrap();
        assert!(text.contains("$$"), "{tag} ({file}): no displayed equation");
        assert!(
            text.contains("{{#include"),
            "{tag} ({file}): no included code"
        );
        for section in ["## Code", "## Tests", "## Exercises", "<details>"] {
            assert!(text.contains(section), "{tag} ({file}): no {section:?}");
        }
    }
}

#[test]
fn the_checks_catch_a_missing_anchor() {
    // A chapter naming an anchor that does not exist must be reported.
    let text = "```rust\n{{#include ../../src/forward.rs:no_such_anchor}}\n```";
    let (path, anchor) = includes(text).pop().unwrap();
    let source = fs::read_to_string(Path::new(ROOT).join("book/src").join(path)).unwrap();
    assert!(anchored(&source, &anchor.unwrap()).is_none());
    assert!(anchored(&source, "F1_h").is_some_and(|l| !l.is_empty()));
}

#[test]
fn equation_chapters_show_whole_functions() {
    // A chapter that shows a function's body must show its signature too, or
    // the reader meets `WxhT`, `h_prev` and `x` with no definition. The
    // anchor of each teaching-layer step function covers it from its doc
    // comment to its closing brace (F0_onehot, nested inside F1_h, is the
    // one exception: F0's chapter points to F1's for the rest).
    let src = Path::new(ROOT).join("src");
    let whole = [
        ("forward.rs", "F1_h", "pub fn hidden_forward"),
        ("forward.rs", "F2_y", "pub fn logits_forward"),
        ("forward.rs", "F3_probs", "pub fn probs_forward"),
        ("forward.rs", "F4_loss", "pub fn loss_forward"),
        ("forward.rs", "F5_total", "pub fn forward"),
        ("backward.rs", "B1_dy", "pub fn softmax_loss_backward"),
        ("backward.rs", "B2_dWhy", "pub fn logits_weights_backward"),
        ("backward.rs", "B3_dh", "pub fn logits_backward"),
        ("backward.rs", "B4_dhraw", "pub fn tanh_backward"),
        ("backward.rs", "B5_dW", "pub fn hidden_weights_backward"),
        ("backward.rs", "B6_dhnext", "pub fn hidden_backward"),
        ("backward.rs", "backward_loop", "pub fn backward"),
    ];
    for (file, anchor, signature) in whole {
        let source = fs::read_to_string(src.join(file)).unwrap();
        let lines =
            anchored(&source, anchor).unwrap_or_else(|| panic!("{file}: no anchor {anchor:?}"));
        assert!(
            lines.first().is_some_and(|l| l.starts_with("///")),
            "{file}:{anchor} does not start at the function's doc comment"
        );
        assert!(
            lines.iter().any(|l| l.starts_with(signature)),
            "{file}:{anchor} does not show `{signature}`"
        );
        assert_eq!(
            lines.last().map(String::as_str),
            Some("}"),
            "{file}:{anchor} does not end with the function's closing brace"
        );
    }
    // F0's nested anchor is the column read alone, without the signature.
    let forward = fs::read_to_string(src.join("forward.rs")).unwrap();
    let f0 = anchored(&forward, "F0_onehot").unwrap();
    assert!(f0.iter().any(|l| l.contains("WxhT.get(x)")));
    assert!(!f0.iter().any(|l| l.contains("fn ")));
}
