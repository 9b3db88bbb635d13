//! Minibatches measured: throughput and time to a validation loss, for
//! several batch sizes B, in one run on one machine.
//!
//!   cargo run --release --example minibatch -- throughput [--hidden H] [--steps N]
//!       chars/s of `BatchTrainer::step` for B = 1, 8, 16, 32, 64 (f32, T = 25)
//!   cargo run --release --example minibatch -- curve [--seconds S] [--lr L] [--sqrt-lr]
//!       validation loss against training seconds for B = 1, 8, 32 on
//!       examples/data/shakespeare.txt; the time each takes to reach 2.2
//!       nats/char; writes book/src/img/minibatch.svg and target/minibatch.csv.
//!       The learning rate is L (default 0.1) for every B, or L·√B with
//!       `--sqrt-lr`.
//!
//! Add `RUSTFLAGS="-C target-cpu=native"` for the machine's own instructions
//! (FMA, AVX2 or AVX-512).

use std::fmt::Write as _;
use std::time::Instant;

use min_char_rnn::engine::{Workspace, pass};
use min_char_rnn::{BatchTrainer, Params, Rng, Text, Vocab};

const TEXT: &str = include_str!("data/shakespeare.txt");
const V: usize = 76; // the distinct characters of shakespeare.txt, exactly
const T: usize = 25;
/// Held-out characters the validation loss is measured on (the same ones
/// every time): the first of the last 5% of the text.
const VALID_CHARS: usize = 20_000;
/// The validation loss the curve's "time to loss" is read at.
const TARGET: f64 = 2.2;
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
    let result = match args.first().map(String::as_str) {
        Some("throughput") => {
            let steps = flag("--steps", 0.0) as u64;
            match hidden {
                100 => throughput::<100>(steps),
                256 => throughput::<256>(steps),
                512 => throughput::<512>(steps),
                _ => Err(format!("--hidden: 100, 256 or 512, not {hidden}")),
            }
        }
        Some("curve") => {
            let sqrt = args.iter().any(|a| a == "--sqrt-lr");
            curve(flag("--seconds", 60.0), flag("--lr", 0.1), sqrt)
        }
        _ => Err(
            "give `throughput` or `curve` (see the comment at the top of \
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

/// chars/s of the engine's minibatch step for each B.
fn throughput<const H: usize>(steps: u64) -> Result<(), String> {
    let vocab = Vocab::<V>::from_text(TEXT).map_err(|e| e.to_string())?;
    let text = Text::new(&vocab, split().0).map_err(|e| e.to_string())?;
    println!("min-char-rnn minibatch throughput: f32, V = {V}, H = {H}, T = {T}");
    println!(
        "{:>4} {:>10} {:>12} {:>12}",
        "B", "steps", "seconds", "chars/s"
    );
    macro_rules! each {
        ($($b:literal)*) => {$(
            // About 2 M characters each, at least 20 steps.
            let n = if steps > 0 { steps } else { (2_000_000 / (T * $b) as u64).max(20) };
            let (secs, _) = run::<H, $b>(&text, n)?;
            let chars = (n * (T * $b) as u64) as f64;
            println!("{:>4} {:>10} {:>12.3} {:>12.0}", $b, n, secs, chars / secs);
        )*};
    }
    each!(1 8 16 32 64);
    Ok(())
}

/// Trains `steps` minibatch steps of B streams from a fresh model; returns
/// the seconds and the last smoothed loss per character.
fn run<const H: usize, const B: usize>(
    text: &Text<'_, V>,
    steps: u64,
) -> Result<(f64, f64), String> {
    let mut params = Box::new(Params::<f32, V, H>::ZERO);
    params
        .init_for(text.vocab().len(), &mut Rng::new(42))
        .map_err(|e| e.to_string())?;
    let mut trainer = Box::new(BatchTrainer::<f32, V, H, T, B>::ZERO);
    let start = Instant::now();
    for _ in 0..steps {
        trainer.step(&mut params, text).map_err(|e| e.to_string())?;
    }
    Ok((
        start.elapsed().as_secs_f64(),
        trainer.smooth_loss / T as f64,
    ))
}

/// One batch size's curve: (training seconds, validation loss) pairs.
type Curve = Vec<(f64, f64)>;

/// Validation loss against training time for B = 1, 8, 32 (H = 100).
fn curve(seconds: f64, lr: f64, sqrt: bool) -> Result<(), String> {
    let vocab = Vocab::<V>::from_text(TEXT).map_err(|e| e.to_string())?;
    let (train_part, valid_part) = split();
    let text = Text::new(&vocab, train_part).map_err(|e| e.to_string())?;
    let valid_end = valid_part
        .char_indices()
        .nth(VALID_CHARS)
        .map_or(valid_part.len(), |(i, _)| i);
    let valid = Text::new(&vocab, &valid_part[..valid_end]).map_err(|e| e.to_string())?;
    let rate = |b: f64| if sqrt { lr * b.sqrt() } else { lr };
    let curves = [
        ("B = 1", timed::<1>(&text, &valid, seconds, rate(1.0))?),
        ("B = 8", timed::<8>(&text, &valid, seconds, rate(8.0))?),
        ("B = 32", timed::<32>(&text, &valid, seconds, rate(32.0))?),
    ];
    let mut csv = String::from("batch,seconds,validation_loss\n");
    for (name, c) in &curves {
        for (s, l) in c {
            let _ = writeln!(csv, "{},{s:.3},{l:.4}", &name[4..]);
        }
        let reached = c.iter().find(|&&(_, l)| l <= TARGET).map(|&(s, _)| s);
        let best = c.iter().map(|&(_, l)| l).fold(f64::INFINITY, f64::min);
        match reached {
            Some(s) => println!(
                "{name}: validation loss {TARGET} after {s:.1} s of training (best {best:.4})"
            ),
            None => println!("{name}: did not reach {TARGET} in {seconds} s (best {best:.4})"),
        }
    }
    std::fs::create_dir_all("target").map_err(|e| e.to_string())?;
    std::fs::write("target/minibatch.csv", csv).map_err(|e| e.to_string())?;
    std::fs::write(SVG, svg(&curves, seconds)).map_err(|e| format!("{SVG}: {e}"))?;
    println!("wrote {SVG} and target/minibatch.csv");
    Ok(())
}

/// Trains with B streams for `seconds` of training time (validation not
/// counted), measuring the validation loss every 0.5 s.
fn timed<const B: usize>(
    text: &Text<'_, V>,
    valid: &Text<'_, V>,
    seconds: f64,
    lr: f64,
) -> Result<Curve, String> {
    const H: usize = 100;
    let mut params = Box::new(Params::<f32, V, H>::ZERO);
    params
        .init_for(text.vocab().len(), &mut Rng::new(42))
        .map_err(|e| e.to_string())?;
    let mut trainer = Box::new(BatchTrainer::<f32, V, H, T, B>::ZERO);
    trainer
        .adagrad
        .set_learning_rate(lr)
        .map_err(|e| e.to_string())?;
    println!("B = {B}: learning rate {lr:.3}");
    let mut work = Box::new(Workspace::<f32, V, H, T>::ZERO);
    let (mut trained, mut points) = (0.0, Vec::new());
    while trained < seconds {
        let start = Instant::now();
        while start.elapsed().as_secs_f64() < 0.5 {
            trainer.step(&mut params, text).map_err(|e| e.to_string())?;
        }
        trained += start.elapsed().as_secs_f64();
        points.push((
            trained,
            validation_loss(&params, valid, &trainer.hprevs[0], &mut work),
        ));
    }
    Ok(points)
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
fn svg(curves: &[(&str, Curve)], seconds: f64) -> String {
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
    let every = if seconds <= 30.0 { 5.0 } else { 10.0 };
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
    for (i, (name, c)) in curves.iter().enumerate() {
        let colour = ["#c0392b", "#2471a3", "#229954"][i % 3];
        let path: Vec<String> = c
            .iter()
            .map(|&(sec, v)| format!("{:.1},{:.1}", x(sec), y(v)))
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
            w - r - 110.0,
            w - r - 84.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}">{name}</text>"#,
            w - r - 78.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}
