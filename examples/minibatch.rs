//! Minibatches measured: throughput and time to a validation loss, for
//! several batch sizes B, in one run on one machine.
//!
//!   cargo run --release --example minibatch -- throughput [--hidden H] [--steps N] [--threads K]
//!       chars/s for B = 1, 4, 8, 16, 32, 64 on one thread (f32, T = 25); with
//!       K > 1 threads, for B = 2K, 4K, ..., 32K instead, each B's streams
//!       shared among the K threads (examples/common/shards.rs)
//!   cargo run --release --example minibatch -- sweep [--lr L,L,...] [--seeds N]
//!       characters read until the validation loss is 2.2 nats/char, for
//!       B = 1, 2, 4, 8, 32, each learning rate and seeds 1..N: no clock, the
//!       same figures on any machine
//!   cargo run --release --example minibatch -- curve [--seconds S] [--lr L] [--threads K] [--seeds N]
//!       validation loss against training seconds for B = 1 (one thread) and
//!       B = 8 and 32 (K threads: 1, 2, 4 or 8, default 2) on
//!       examples/data/shakespeare.txt;
//!       the median over seeds 1..N of the time each takes to reach 2.2
//!       nats/char; writes book/src/img/minibatch.svg (the median of the
//!       seeds' curves) and target/minibatch.csv. Learning rate L (default
//!       0.05) for every B.
//!
//! Add `RUSTFLAGS="-C target-cpu=native"` for the machine's own instructions
//! (FMA, AVX2 or AVX-512).

#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::time::Instant;

use common::shards::Shards;
use min_char_rnn::engine::{Workspace, pass};
use min_char_rnn::{Params, Rng, Text, Vocab};

const TEXT: &str = include_str!("data/shakespeare.txt");
const V: usize = 76; // the distinct characters of shakespeare.txt, exactly
const T: usize = 25;
/// Held-out characters the validation loss is measured on (the same ones
/// every time): the first of the last 5% of the text.
const VALID_CHARS: usize = 20_000;
/// The validation loss the curve's "time to loss" is read at.
const TARGET: f64 = 2.2;
/// Characters read between two measurements of the validation loss.
const EVERY_CHARS: usize = 25_000;
const SVG: &str = "book/src/img/minibatch.svg";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, default: f64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(Ok(default), |v| v.parse::<f64>())
            .unwrap_or_else(|e| fail(&format!("{name}: {e}")))
    };
    let hidden = flag("--hidden", 100.0) as usize;
    let whole = |name: &str, default: f64, most: f64| {
        let value = flag(name, default);
        if value.fract() != 0.0 || !(1.0..=most).contains(&value) {
            fail(&format!(
                "{name}: a whole number from 1 to {most}, not {value}"
            ));
        }
        value as usize
    };
    let threads = whole("--threads", 1.0, 64.0);
    let seeds = whole("--seeds", 3.0, 100.0) as u64;
    let result = match args.first().map(String::as_str) {
        Some("throughput") => {
            let steps = flag("--steps", 0.0) as u64;
            match hidden {
                100 => throughput::<100>(steps, threads),
                256 => throughput::<256>(steps, threads),
                512 => throughput::<512>(steps, threads),
                _ => Err(format!("--hidden: 100, 256 or 512, not {hidden}")),
            }
        }
        Some("sweep") => {
            let lrs = args
                .iter()
                .position(|a| a == "--lr")
                .and_then(|i| args.get(i + 1))
                .map_or("0.1,0.05,0.03,0.02", String::as_str);
            let lrs: Result<Vec<f64>, _> = lrs.split(',').map(str::parse).collect();
            lrs.map_err(|e| format!("--lr: {e}"))
                .and_then(|lrs| sweep(&lrs, seeds))
        }
        Some("curve") => {
            let threads = whole("--threads", 2.0, 64.0);
            let seconds = flag("--seconds", 10.0);
            if !(seconds > 0.0 && seconds <= 3600.0) {
                fail(&format!(
                    "--seconds: more than 0 and at most 3600, not {seconds}"
                ));
            }
            let lr = flag("--lr", 0.05);
            if !(lr > 0.0 && lr < 1e30) {
                fail(&format!("--lr: a positive learning rate, not {lr}"));
            }
            curve(seconds, lr, threads, seeds)
        }
        _ => Err(
            "give `throughput`, `sweep` or `curve` (see the comment at the top of \
                  examples/minibatch.rs)"
                .to_string(),
        ),
    };
    if let Err(e) = result {
        fail(&e);
    }
}

fn fail(message: &str) -> ! {
    eprintln!("minibatch: {message}");
    std::process::exit(2)
}

/// The training part (the first 95%) and the validation part of the text.
fn split() -> (&'static str, &'static str) {
    let chars = TEXT.chars().count();
    let at = TEXT
        .char_indices()
        .nth(chars - chars / 20)
        .map_or(0, |(i, _)| i);
    TEXT.split_at(at)
}

/// chars/s of the engine's minibatch step for each B, its streams shared
/// among `threads` threads.
fn throughput<const H: usize>(steps: u64, threads: usize) -> Result<(), String> {
    let vocab = Vocab::<V>::from_text(TEXT).map_err(|e| e.to_string())?;
    let text = Text::new(&vocab, split().0).map_err(|e| e.to_string())?;
    println!(
        "min-char-rnn minibatch throughput: f32, V = {V}, H = {H}, T = {T}, {threads} thread(s)"
    );
    println!(
        "{:>4} {:>10} {:>12} {:>12}",
        "B", "steps", "seconds", "chars/s"
    );
    macro_rules! each {
        ($($s:literal)*) => {$(
            let b = $s * threads;
            // About 2 M characters each, at least 20 steps.
            let n = if steps > 0 { steps } else { (2_000_000 / (T * b) as u64).max(20) };
            let mut run = Run::<H, $s>::new(&text, threads, 0.1, 42)?;
            let start = Instant::now();
            for _ in 0..n {
                run.step()?;
            }
            let secs = start.elapsed().as_secs_f64();
            let chars = (n * (T * b) as u64) as f64;
            println!("{:>4} {:>10} {:>12.3} {:>12.0}", b, n, secs, chars / secs);
        )*};
    }
    match threads {
        1 => {
            each!(1 4 8 16 32 64);
        }
        _ => {
            each!(2 4 8 16 32);
        }
    }
    Ok(())
}

/// A model and `K` shards of `S` streams training it (B = K·S).
struct Run<'t, const H: usize, const S: usize> {
    params: Box<Params<f32, V, H>>,
    shards: Shards<'t, V, H, T, S>,
}

impl<'t, const H: usize, const S: usize> Run<'t, H, S> {
    /// A fresh model (min-char-rnn's initialisation from `seed`).
    fn new(text: &Text<'t, V>, threads: usize, lr: f64, seed: u64) -> Result<Self, String> {
        let mut params = common::zeroed::<Params<f32, V, H>>();
        params
            .init_for(text.vocab().len(), &mut Rng::new(seed))
            .map_err(|e| e.to_string())?;
        let mut shards = Shards::new(text, threads).map_err(|e| e.to_string())?;
        shards.shards[0]
            .adagrad
            .set_learning_rate(lr)
            .map_err(|e| e.to_string())?;
        Ok(Run { params, shards })
    }

    fn step(&mut self) -> Result<f32, String> {
        self.shards
            .step(&mut self.params)
            .map_err(|e| e.to_string())
    }

    /// The streams in all.
    fn streams(&self) -> usize {
        self.shards.streams()
    }

    /// Trains until the validation loss, measured every [`EVERY_CHARS`]
    /// characters, is at most [`TARGET`] (if `stop`) or `seconds` of
    /// training (validation not counted) have passed, or `chars` characters
    /// were read. Returns the points (characters, seconds, validation loss).
    fn until(
        &mut self,
        valid: &Text<'_, V>,
        seconds: f64,
        chars: usize,
        stop: bool,
    ) -> Result<Vec<Point>, String> {
        let per_step = T * self.streams();
        let steps = EVERY_CHARS.div_ceil(per_step);
        let mut work = common::zeroed::<Workspace<f32, V, H, T>>();
        let (mut read, mut trained, mut points) = (0, 0.0, Vec::new());
        while trained < seconds && read < chars {
            let start = Instant::now();
            for _ in 0..steps {
                self.step()?;
            }
            trained += start.elapsed().as_secs_f64();
            read += steps * per_step;
            let h0 = &self.shards.shards[0].hprevs[0];
            let loss = validation_loss(&self.params, valid, h0, &mut work);
            points.push(Point {
                chars: read,
                seconds: trained,
                loss,
            });
            if stop && loss <= TARGET {
                break;
            }
        }
        Ok(points)
    }
}

/// A measurement of the validation loss during training.
#[derive(Clone, Copy)]
struct Point {
    /// Characters read so far.
    chars: usize,
    /// Seconds of training so far (validation not counted).
    seconds: f64,
    /// The validation loss, nats per character.
    loss: f64,
}

/// The held-out characters: the first [`VALID_CHARS`] of the last 5%.
fn validation_text(vocab: &Vocab<V>) -> Result<Text<'_, V>, String> {
    let valid_part = split().1;
    let valid_end = valid_part
        .char_indices()
        .nth(VALID_CHARS)
        .map_or(valid_part.len(), |(i, _)| i);
    Text::new(vocab, &valid_part[..valid_end]).map_err(|e| e.to_string())
}

/// The first point at or below [`TARGET`].
fn reached(points: &[Point]) -> Option<Point> {
    points.iter().find(|p| p.loss <= TARGET).copied()
}

/// The median of some numbers (the mean of the middle two for an even count).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

/// Characters read until the validation loss reaches [`TARGET`], for each
/// B, learning rate and seed (one thread: the figures do not depend on the
/// clock).
fn sweep(lrs: &[f64], seeds: u64) -> Result<(), String> {
    let vocab = Vocab::<V>::from_text(TEXT).map_err(|e| e.to_string())?;
    let text = Text::new(&vocab, split().0).map_err(|e| e.to_string())?;
    let valid = validation_text(&vocab)?;
    const MAX_CHARS: usize = 4_000_000;
    println!(
        "characters read until the validation loss is {TARGET} (median of seeds 1..{seeds}; \
         - if not within {MAX_CHARS})"
    );
    print!("{:>6}", "lr");
    for b in [1, 2, 4, 8, 32] {
        print!(" {:>10}", format!("B = {b}"));
    }
    println!();
    for &lr in lrs {
        print!("{lr:>6}");
        macro_rules! each {
            ($($b:literal)*) => {$(
                let mut chars = Vec::new();
                for seed in 1..=seeds {
                    let mut run = Run::<100, $b>::new(&text, 1, lr, seed)?;
                    let points = run.until(&valid, f64::INFINITY, MAX_CHARS, true)?;
                    chars.push(reached(&points).map_or(f64::INFINITY, |p| p.chars as f64));
                }
                let m = median(chars);
                let shown = if m.is_finite() { format!("{:.0}k", m / 1000.0) } else { "-".into() };
                print!(" {shown:>10}");
                let _ = std::io::Write::flush(&mut std::io::stdout());
            )*};
        }
        each!(1 2 4 8 32);
        println!();
    }
    Ok(())
}

/// The median of several runs' curves, measurement by measurement (as far
/// as the shortest run goes): the median seconds and the median loss of the
/// i-th measurement of each.
fn median_curve(runs: &[Vec<Point>]) -> Vec<Point> {
    let n = runs.iter().map(Vec::len).min().unwrap_or(0);
    (0..n)
        .map(|i| Point {
            chars: runs[0][i].chars,
            seconds: median(runs.iter().map(|r| r[i].seconds).collect()),
            loss: median(runs.iter().map(|r| r[i].loss).collect()),
        })
        .collect()
}

/// One batch size's curve, its name and the median time to [`TARGET`].
struct Curve {
    batch: usize,
    name: String,
    points: Vec<Point>,
}

/// Validation loss against training time for B = 1 (one thread) and B = 8
/// and 32 (`threads` threads), H = 100; the median time to [`TARGET`] over
/// seeds 1..`seeds`.
fn curve(seconds: f64, lr: f64, threads: usize, seeds: u64) -> Result<(), String> {
    let vocab = Vocab::<V>::from_text(TEXT).map_err(|e| e.to_string())?;
    let text = Text::new(&vocab, split().0).map_err(|e| e.to_string())?;
    let valid = validation_text(&vocab)?;
    if ![1, 2, 4, 8].contains(&threads) {
        return Err(format!("--threads: 1, 2, 4 or 8, not {threads}"));
    }
    let mut curves = Vec::new();
    println!("learning rate {lr}; B = 8 and 32 on {threads} thread(s); seeds 1..{seeds}");
    macro_rules! each {
        ($(($b:literal, $k:expr, $s:literal))*) => {$(
            let (mut times, mut chars, mut runs) = (Vec::new(), Vec::new(), Vec::new());
            for seed in 1..=seeds {
                let mut run = Run::<100, $s>::new(&text, $k, lr, seed)?;
                let points = run.until(&valid, seconds, usize::MAX, false)?;
                let hit = reached(&points);
                times.push(hit.map_or(f64::INFINITY, |p| p.seconds));
                chars.push(hit.map_or(f64::INFINITY, |p| p.chars as f64));
                runs.push(points);
            }
            let name = match $k {
                1 => format!("B = {}", $b),
                k => format!("B = {}, {k} threads", $b),
            };
            let plot = median_curve(&runs);
            let (t, c) = (median(times), median(chars));
            let best = median(runs.iter().map(|r| r.iter().map(|p| p.loss).fold(f64::INFINITY, f64::min)).collect());
            let last = median(runs.iter().filter_map(|r| r.last()).map(|p| p.loss).collect());
            if t.is_finite() {
                println!(
                    "{name}: validation loss {TARGET} after {t:.2} s and {:.0}k characters; \
                     after {seconds} s {last:.4}, best {best:.4} (medians of the seeds)",
                    c / 1000.0
                );
            } else {
                println!("{name}: did not reach {TARGET} in {seconds} s (median)");
            }
            curves.push(Curve { batch: $b, name, points: plot });
        )*};
    }
    match threads {
        1 => {
            each!((1, 1, 1)(8, 1, 8)(32, 1, 32));
        }
        2 => {
            each!((1, 1, 1)(8, 2, 4)(32, 2, 16));
        }
        4 => {
            each!((1, 1, 1)(8, 4, 2)(32, 4, 8));
        }
        8 => {
            each!((1, 1, 1)(8, 8, 1)(32, 8, 4));
        }
        _ => return Err(format!("--threads: 1, 2, 4 or 8, not {threads}")),
    }
    let mut csv = String::from("batch,characters,seconds,validation_loss\n");
    for c in &curves {
        for p in &c.points {
            let _ = writeln!(
                csv,
                "{},{},{:.3},{:.4}",
                c.batch, p.chars, p.seconds, p.loss
            );
        }
    }
    std::fs::create_dir_all("target").map_err(|e| e.to_string())?;
    std::fs::write("target/minibatch.csv", csv).map_err(|e| e.to_string())?;
    std::fs::write(SVG, svg(&curves, seconds)).map_err(|e| format!("{SVG}: {e}"))?;
    println!("wrote {SVG} and target/minibatch.csv");
    Ok(())
}

/// Mean loss per character over `valid`, carrying h across windows from `h0`.
fn validation_loss<const H: usize>(
    params: &Params<f32, V, H>,
    valid: &Text<'_, V>,
    h0: &[f32; H],
    work: &mut Workspace<f32, V, H, T>,
) -> f64 {
    let (mut xs, mut ys) = ([0; T], [0; T]);
    let (mut byte, mut hprev, mut total, mut chars) = (0, *h0, 0.0, 0);
    while let Some(next) = valid.window(byte, &mut xs, &mut ys) {
        total += f64::from(
            pass::forward(params, valid.vocab().len(), &xs, &ys, &hprev, work).unwrap_or(f32::NAN),
        );
        hprev = work.hs[T - 1].0;
        chars += T;
        byte = next;
    }
    total / chars.max(1) as f64
}

/// The curves as an SVG: validation loss against training seconds.
fn svg(curves: &[Curve], seconds: f64) -> String {
    let (w, h, l, r, t, b) = (640.0, 360.0, 56.0, 16.0, 16.0, 44.0);
    let (y0, y1) = (1.8, 3.0);
    let x = |s: f64| l + s / seconds * (w - l - r);
    let y = |v: f64| t + (y1 - v.clamp(y0, y1)) / (y1 - y0) * (h - t - b);
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect x="{l}" y="{t}" width="{}" height="{}" fill="none" stroke="#888"/>
"##,
        w - l - r,
        h - t - b
    );
    for k in 0..=6 {
        let v = y0 + (y1 - y0) * k as f64 / 6.0;
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end">{v:.1}</text>"##,
            l - 6.0,
            y(v) + 4.0
        );
    }
    let every = if seconds <= 12.0 {
        1.0
    } else if seconds <= 30.0 {
        5.0
    } else {
        10.0
    };
    for k in 0..=(seconds / every) as usize {
        let sec = every * k as f64;
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle">{sec:.0}</text>"##,
            x(sec),
            h - b + 16.0
        );
    }
    let _ = writeln!(
        s,
        r##"<line x1="{l}" x2="{}" y1="{}" y2="{}" stroke="#888" stroke-dasharray="4 3"/>"##,
        w - r,
        y(TARGET),
        y(TARGET)
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle">seconds of training</text>"##,
        (l + w - r) / 2.0,
        h - 8.0
    );
    let _ = writeln!(
        s,
        r##"<text transform="translate(14 {}) rotate(-90)" text-anchor="middle">validation loss (nats/char)</text>"##,
        (t + h - b) / 2.0
    );
    for (i, c) in curves.iter().enumerate() {
        let (colour, name) = (["#c0392b", "#2471a3", "#229954"][i % 3], &c.name);
        let path: Vec<String> = c
            .points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.seconds), y(p.loss)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        let ly = t + 18.0 + 18.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{}" x2="{}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"/>"#,
            w - r - 170.0,
            w - r - 144.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}">{name}</text>"#,
            w - r - 138.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}
