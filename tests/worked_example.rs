//! The worked example of the book (`book/src/worked-example.md`) prints every
//! number of one forward and one backward pass. This test recomputes them with
//! `examples/worked.rs` and requires the chapter's `text` blocks, read in
//! order and joined, to be exactly that printout: a change to the code that
//! moves any printed digit fails here until the chapter is updated.

#[allow(dead_code)] // its `main` is the example's, unused here
#[path = "../examples/worked.rs"]
mod worked;

use std::fs;

/// The contents of every block fenced as ```` ```text ````, joined in order.
fn text_blocks(chapter: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in chapter.lines() {
        if inside {
            if line.trim_start().starts_with("```") {
                inside = false;
            } else {
                out.push_str(line);
                out.push('\n');
            }
        } else if line.trim() == "```text" {
            inside = true;
        }
    }
    out
}

#[test]
fn the_chapter_prints_what_the_code_computes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/book/src/worked-example.md");
    let chapter = fs::read_to_string(path).expect("book/src/worked-example.md");
    // Blank lines, which separate the printout's parts, are not compared.
    let non_blank = |s: &str| {
        s.lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let printed = non_blank(&text_blocks(&chapter));
    let computed = non_blank(&worked::report().expect("the worked example runs"));
    if printed != computed {
        for (n, (p, c)) in printed.lines().zip(computed.lines()).enumerate() {
            assert_eq!(p, c, "line {} of the chapter's text blocks", n + 1);
        }
        panic!(
            "the chapter's text blocks have {} lines, `cargo run --example worked` prints {}",
            printed.lines().count(),
            computed.lines().count()
        );
    }
}

#[test]
fn the_first_step_by_hand() {
    // t = 0 of the chapter, from the equations alone: a = Wxh x + bh
    // (Whh h_-1 = 0), h = tanh a, y = Why h, p = softmax y, l = -ln p[e].
    let a: [f64; 2] = [-0.5 + 0.1, 0.5 - 0.1];
    let h = a.map(f64::tanh);
    let y = [h[0], h[1], h[0] + h[1], -h[0] + h[1]];
    let sum: f64 = y.iter().map(|y| y.exp()).sum();
    let l = -(y[0].exp() / sum).ln();
    let report = worked::report().unwrap();
    assert!(report.contains(&format!("  h        [{:8.4}{:8.4} ]", h[0], h[1])));
    assert!(report.contains(&format!("  l        {l:8.4}")));
}
