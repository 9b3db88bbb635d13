//! Vanishing and exploding gradients, measured: how much of the last step's
//! loss gradient reaches the hidden state d steps earlier, for an untrained
//! model, a trained one, and an untrained one with large recurrent weights.
//! Writes the book's figure `book/src/img/vanishing.svg` and prints the
//! numbers the chapter quotes.
//!
//!     cargo run --release --example vanishing
//!
//! Fixed seeds throughout; about 10 s in release, most of it training.

use std::fmt::Write as _;

use min_char_rnn::backward::{
    hidden_backward, logits_backward, softmax_loss_backward, tanh_backward,
};
use min_char_rnn::forward::forward;
use min_char_rnn::{Cache, Error, Params, Rng, Text, Trainer, Vocab};

const V: usize = 76; // the distinct characters of shakespeare.txt
const H: usize = 100;
const T: usize = 25; // the training window, as min-char-rnn
const D: usize = 100; // the distances measured, 0..D: four training windows
const WINDOWS: usize = 64; // windows of the text averaged over
const STEPS: usize = 20_000; // training steps of the trained model
const OUT: &str = "book/src/img/vanishing.svg";

// ANCHOR: flow
/// The norm of dl/dh_{D-1-d} for d = 0..D: the gradient of the loss at the
/// window's last step only, carried back d steps by B4 and B6 with no other
/// loss adding to it, as backpropagation would carry it if it did not stop
/// at T. `cache` holds a forward pass over D steps.
fn flow(
    params: &Params<f64, V, H>,
    cache: &Cache<f64, V, H, D>,
    target: usize,
) -> Result<[f64; D], Error> {
    let mut norms = [0.0; D];
    let (mut dy, mut dh, mut dhraw) = ([0.0; V], [0.0; H], [0.0; H]);
    softmax_loss_backward(&cache.ps[D - 1], target, &mut dy)?; // B1
    logits_backward(params, &dy, &[0.0; H], &mut dh); //   B3: Whyᵀ dy
    for (d, norm) in norms.iter_mut().enumerate() {
        *norm = dh.iter().map(|x| x * x).sum::<f64>().sqrt();
        let t = D - 1 - d;
        tanh_backward(&cache.hs[t], &dh, &mut dhraw); // B4
        let mut dhnext = [0.0; H];
        hidden_backward(params, &dhraw, &mut dhnext); //  B6: Whhᵀ dhraw
        dh = dhnext; // B3 at step t − 1, with no loss of its own
    }
    Ok(norms)
}
// ANCHOR_END: flow

/// The geometric mean over `WINDOWS` windows spread over the text, each
/// starting from the state that the D characters before it leave.
/// Also returns the mean of tanh's derivative, 1 − h², over those windows.
fn measure(params: &Params<f64, V, H>, text: &[usize]) -> Result<([f64; D], f64), Error> {
    let mut cache = Box::new(Cache::<f64, V, H, D>::ZERO);
    let mut log_sum = [0.0; D];
    let mut slope = 0.0;
    let stride = (text.len() - 2 * D - 1) / WINDOWS;
    for w in 0..WINDOWS {
        let window = |p: usize, hprev: &[f64; H], cache: &mut Cache<f64, V, H, D>| {
            let xs: [usize; D] = core::array::from_fn(|t| text[p + t]);
            let targets: [usize; D] = core::array::from_fn(|t| text[p + t + 1]);
            forward(params, V, &xs, &targets, hprev, cache).map(|_| targets[D - 1])
        };
        window(w * stride, &[0.0; H], &mut cache)?; // from h = 0, to warm the state up
        let hprev = cache.hs[D - 1];
        let target = window(w * stride + D, &hprev, &mut cache)?;
        for (s, n) in log_sum.iter_mut().zip(flow(params, &cache, target)?) {
            *s += n.ln();
        }
        slope += cache.hs.iter().flatten().map(|h| 1.0 - h * h).sum::<f64>();
    }
    let mean_slope = slope / (WINDOWS * D * H) as f64;
    Ok((log_sum.map(|s| (s / WINDOWS as f64).exp()), mean_slope))
}

/// The largest singular value of Whh, by power iteration on WhhᵀWhh.
fn spectral_norm(params: &Params<f64, V, H>) -> f64 {
    let mut v = [1.0; H];
    let mut sigma = 0.0;
    for _ in 0..200 {
        let u: Vec<f64> = (0..H)
            .map(|i| (0..H).map(|j| params.Whh[i][j] * v[j]).sum())
            .collect();
        let w: [f64; H] = core::array::from_fn(|j| (0..H).map(|i| params.Whh[i][j] * u[i]).sum());
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        sigma = norm.sqrt();
        v = w.map(|x| x / norm);
    }
    sigma
}

fn to_f64(params: &Params<f32, V, H>) -> Box<Params<f64, V, H>> {
    let mut out = Box::new(Params::<f64, V, H>::ZERO);
    for (a, b) in out.tensors_mut().into_iter().zip(params.tensors()) {
        for (a, &b) in a.iter_mut().zip(b) {
            *a = f64::from(b);
        }
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::fs::read_to_string("examples/data/shakespeare.txt")?;
    let vocab = Vocab::<V>::from_text(&data)?;
    let text = Text::new(&vocab, &data)?;
    let indices: Vec<usize> = data
        .chars()
        .map(|c| vocab.encode(c))
        .collect::<Result<_, _>>()?;

    // Untrained: min-char-rnn's initialisation, weights ~ N(0, 0.01²).
    let mut params = Box::new(Params::<f32, V, H>::ZERO);
    params.init_for(vocab.len(), &mut Rng::new(42))?;
    let untrained = to_f64(&params);

    // Untrained with large recurrent weights: Whh ~ N(0, (2/√H)²).
    let mut large = untrained.clone();
    let mut rng = Rng::new(7);
    for row in large.Whh.iter_mut() {
        for w in row.iter_mut() {
            *w = rng.normal() * 2.0 / (H as f64).sqrt();
        }
    }

    // Trained: STEPS steps of the usual training (T = 25, clipping, Adagrad).
    let mut trainer = Box::new(Trainer::<f32, V, H, T>::new());
    for _ in 0..STEPS {
        trainer.step(&mut params, &text)?;
    }
    let trained = to_f64(&params);
    println!(
        "trained {STEPS} steps: smooth loss {:.2} nats per window",
        trainer.smooth_loss
    );

    let curves = [
        ("untrained (min-char-rnn's init)", &untrained, "#1f77b4"),
        ("trained 20,000 steps", &trained, "#d62728"),
        ("untrained, large Whh (N(0, 4/H))", &large, "#2ca02c"),
    ];
    let mut measured = Vec::new();
    print!("{:<34}", "distance d");
    for d in [0, 1, 5, 10, 25, 50, 99] {
        print!(" {d:>8}");
    }
    println!("  ‖Whh‖₂  mean 1 − h²");
    for (name, params, color) in curves {
        let (norms, mean_slope) = measure(params, &indices)?;
        print!("{name:<34}");
        for d in [0, 1, 5, 10, 25, 50, 99] {
            print!(" {:8.1e}", norms[d]);
        }
        println!("  {:6.2}  {mean_slope:11.2}", spectral_norm(params));
        measured.push((name, color, norms));
    }
    std::fs::write(OUT, svg(&measured))?;
    println!("wrote {OUT}");
    Ok(())
}

/// A log-scale plot of the curves against distance, with T marked.
fn svg(curves: &[(&str, &str, [f64; D])]) -> String {
    let (w, h) = (720.0, 440.0);
    let (left, right, top, bottom) = (80.0, 20.0, 40.0, 55.0);
    let all = curves.iter().flat_map(|c| c.2).filter(|v| *v > 0.0);
    let lo = all.clone().fold(f64::INFINITY, f64::min).log10();
    let hi = all.fold(0.0, f64::max).log10();
    // Gridlines every `step` decades, the axis from one gridline to another.
    let step = [1.0, 2.0, 5.0, 10.0, 20.0]
        .into_iter()
        .find(|s| (hi - lo) / s <= 12.0)
        .unwrap_or(50.0);
    let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    let x = |d: f64| left + d / (D - 1) as f64 * (w - left - right);
    let y = |v: f64| top + (hi - v.log10()) / (hi - lo) * (h - top - bottom);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">How much of the last step's gradient reaches d steps back</text>"#,
        w / 2.0
    );
    // Decades on the y axis, every 10 steps on the x axis.
    let mut e = lo;
    while e <= hi {
        let yy = y(10f64.powf(e));
        let _ = writeln!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{yy}" y2="{yy}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">10<tspan dy="-6" font-size="10">{e}</tspan></text>"##,
            w - right,
            left - 6.0,
            yy + 4.0
        );
        e += step;
    }
    for d in (0..D).step_by(10) {
        let xx = x(d as f64);
        let _ = writeln!(
            s,
            r##"<line x1="{xx}" x2="{xx}" y1="{top}" y2="{}" stroke="#eee"/><text x="{xx}" y="{}" text-anchor="middle">{d}</text>"##,
            h - bottom,
            h - bottom + 18.0
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#333"/>"##,
        w - left - right,
        h - top - bottom
    );
    // T: backpropagation through time stops here.
    let xt = x(T as f64);
    let _ = writeln!(
        s,
        r##"<line x1="{xt}" x2="{xt}" y1="{top}" y2="{}" stroke="#555" stroke-dasharray="5,4"/><text x="{}" y="{}" fill="#555">T = {T}: truncated BPTT stops</text>"##,
        h - bottom,
        xt + 6.0,
        h - bottom - 8.0
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">distance d (steps back from the window's last step)</text>"#,
        (left + w - right) / 2.0,
        h - 14.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(20 {}) rotate(-90)" text-anchor="middle">‖dl/dh‖, geometric mean of {WINDOWS} windows</text>"#,
        (top + h - bottom) / 2.0
    );
    for (i, (name, color, norms)) in curves.iter().enumerate() {
        let points: Vec<String> = norms
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0.0)
            .map(|(d, &v)| format!("{:.1},{:.1}", x(d as f64), y(v)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        );
        let ly = top + 0.36 * (h - top - bottom) + 18.0 * i as f64;
        let lx = w - right - 290.0;
        let _ = writeln!(
            s,
            r#"<line x1="{lx}" x2="{}" y1="{}" y2="{}" stroke="{color}" stroke-width="2"/><text x="{}" y="{ly}">{name}</text>"#,
            lx + 24.0,
            ly - 4.0,
            ly - 4.0,
            lx + 30.0
        );
    }
    s.push_str("</svg>\n");
    s
}
