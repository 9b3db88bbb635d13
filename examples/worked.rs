//! The book's worked example: one forward and one backward pass over "hello"
//! with a model small enough to check by hand (V = 4, H = 2, T = 4, weights
//! set to round numbers), every intermediate number printed to 4 digits.
//!
//!     cargo run --example worked
//!
//! The chapter "A worked example" shows this output, and the test
//! `tests/worked_example.rs` requires the chapter's text blocks to be exactly
//! what `report` prints, so the book's numbers cannot drift from the code.

use core::fmt::Write;

use min_char_rnn::backward::{
    hidden_backward, hidden_weights_backward, logits_backward, logits_weights_backward,
    softmax_loss_backward, tanh_backward,
};
use min_char_rnn::forward::{hidden_forward, logits_forward, loss_forward, probs_forward};
use min_char_rnn::gradcheck::{Window, numerical_gradient};
use min_char_rnn::matrix::matvec_add;
use min_char_rnn::{Cache, Error, Params, Vocab, loss_fun};

const V: usize = 4; // e h l o
const H: usize = 2;
const T: usize = 4; // inputs "hell", targets "ello"

// ANCHOR: weights
/// The model of the worked example, in the book's shapes (Wxh is H×V, its
/// columns in vocabulary order e h l o; Why is V×H, one row per symbol).
#[allow(non_snake_case)] // the book's symbols
fn model() -> Params<f64, V, H> {
    let Wxh = [
        [0.5, -0.5, 1.0, 0.0], //  row 0: what e, h, l, o add to a_0
        [0.0, 0.5, -0.5, 1.0], //  row 1: what e, h, l, o add to a_1
    ];
    let Whh = [[0.5, -0.5], [0.5, 0.5]];
    let Why = [
        [1.0, 0.0],  // e
        [0.0, 1.0],  // h
        [1.0, 1.0],  // l
        [-1.0, 1.0], // o
    ];
    let bh = [0.1, -0.1];
    let by = [0.0; V];
    // Stored transposed: WxhT[k] is column k of Wxh (F0).
    let WxhT = core::array::from_fn(|k| core::array::from_fn(|i| Wxh[i][k]));
    Params {
        WxhT,
        Whh,
        Why,
        bh,
        by,
    }
}
// ANCHOR_END: weights

/// One number to 4 decimals, 8 characters wide, with no "-0.0000".
fn num(x: f64) -> String {
    let s = format!("{x:8.4}");
    if s.trim() == "-0.0000" {
        format!("{:8.4}", 0.0)
    } else {
        s
    }
}

fn vector(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|&x| num(x)).collect();
    format!("[{} ]", parts.join(""))
}

/// The whole printout: forward pass, backward pass, gradients, and a check of
/// every gradient element against central differences.
#[allow(non_snake_case)] // the book's symbols
pub fn report() -> Result<String, Error> {
    let vocab = Vocab::<V>::from_text("hello")?;
    let text: Vec<usize> = "hello"
        .chars()
        .map(|c| vocab.encode(c))
        .collect::<Result<_, _>>()?;
    let xs: [usize; T] = core::array::from_fn(|t| text[t]);
    let targets: [usize; T] = core::array::from_fn(|t| text[t + 1]);
    let n = vocab.len();
    let name = |k: usize| vocab.symbols()[k];
    let params = model();
    let hprev = [0.0; H];
    let mut out = String::new();
    let w = &mut out;

    // The forward pass, step by step, with the functions `forward` calls.
    writeln!(w, "forward pass, h_-1 = {}", vector(&hprev)).unwrap();
    let mut hs = [[0.0; H]; T];
    let mut ps = [[0.0; V]; T];
    let mut loss = 0.0;
    for t in 0..T {
        let h_prev = if t == 0 { hprev } else { hs[t - 1] };
        let (k, target) = (xs[t], targets[t]);
        let mut a = params.WxhT[k];
        for (a_i, b_i) in a.iter_mut().zip(&params.bh) {
            *a_i += b_i;
        }
        matvec_add(&params.Whh, &h_prev, &mut a); // a_t, for the printout only
        hidden_forward(&params, k, &h_prev, &mut hs[t])?; // F0, F1
        let mut y = [0.0; V];
        logits_forward(&params, &hs[t], &mut y); // F2
        probs_forward(&y, n, &mut ps[t]); // F3
        let l = loss_forward(&y[..n], target)?; // F4
        loss += l; // F5
        let (i, j) = (name(k), name(target));
        writeln!(w, "t = {t}  input '{i}' (k = {k}), target '{j}' ({target})").unwrap();
        writeln!(w, "  Wxh x    {}", vector(&params.WxhT[k])).unwrap();
        writeln!(w, "  a        {}", vector(&a)).unwrap();
        writeln!(w, "  h        {}", vector(&hs[t])).unwrap();
        writeln!(w, "  y        {}", vector(&y)).unwrap();
        writeln!(w, "  p        {}", vector(&ps[t])).unwrap();
        writeln!(w, "  l        {}", num(l)).unwrap();
    }
    writeln!(w, "L       {}", num(loss)).unwrap();

    // The backward pass, step by step, with the functions `backward` calls.
    writeln!(w).unwrap();
    writeln!(w, "backward pass, dhnext = {}", vector(&[0.0; H])).unwrap();
    let mut grads = Params::<f64, V, H>::ZERO;
    let mut dhnext = [0.0; H];
    for t in (0..T).rev() {
        let h_prev = if t == 0 { &hprev } else { &hs[t - 1] };
        let (mut dy, mut dh, mut dhraw) = ([0.0; V], [0.0; H], [0.0; H]);
        softmax_loss_backward(&ps[t], targets[t], &mut dy)?; // B1
        logits_weights_backward(&dy, &hs[t], &mut grads); //  B2
        logits_backward(&params, &dy, &dhnext, &mut dh); //    B3
        tanh_backward(&hs[t], &dh, &mut dhraw); //             B4
        hidden_weights_backward(&dhraw, xs[t], h_prev, &mut grads)?; // B5
        hidden_backward(&params, &dhraw, &mut dhnext); //      B6
        writeln!(w, "t = {t}").unwrap();
        writeln!(w, "  dy       {}", vector(&dy)).unwrap();
        writeln!(w, "  dh       {}", vector(&dh)).unwrap();
        writeln!(w, "  1 - h*h  {}", vector(&hs[t].map(|h| 1.0 - h * h))).unwrap();
        writeln!(w, "  dhraw    {}", vector(&dhraw)).unwrap();
        writeln!(w, "  dhnext   {}", vector(&dhnext)).unwrap();
    }

    // The gradients, in the book's shapes.
    writeln!(w).unwrap();
    writeln!(w, "gradients").unwrap();
    for i in 0..H {
        let row: [f64; V] = core::array::from_fn(|k| grads.WxhT[k][i]);
        let label = if i == 0 { "dWxh" } else { "" };
        writeln!(w, "  {label:<8} {}", vector(&row)).unwrap();
    }
    for (i, row) in grads.Whh.iter().enumerate() {
        let label = if i == 0 { "dWhh" } else { "" };
        writeln!(w, "  {label:<8} {}", vector(row)).unwrap();
    }
    for (k, row) in grads.Why.iter().enumerate() {
        let label = if k == 0 { "dWhy" } else { "" };
        writeln!(w, "  {label:<8} {}   {}", vector(row), name(k)).unwrap();
    }
    writeln!(w, "  dbh      {}", vector(&grads.bh)).unwrap();
    writeln!(w, "  dby      {}", vector(&grads.by)).unwrap();

    // The same through `loss_fun`, and against central differences (G1).
    let mut params = params;
    let mut cache = Cache::<f64, V, H, T>::ZERO;
    let mut check = Params::<f64, V, H>::ZERO;
    let same_loss = loss_fun(&params, n, &xs, &targets, &hprev, &mut cache, &mut check)?;
    assert_eq!((same_loss, &check), (loss, &grads), "loss_fun disagrees");
    let window = Window {
        vocab_size: n,
        hprev: &hprev,
        xs: &xs,
        targets: &targets,
    };
    let mut worst: f64 = 0.0;
    for (tensor, g) in grads.tensors().iter().enumerate() {
        for (index, &analytic) in g.iter().enumerate() {
            let numerical =
                numerical_gradient(&mut params, &mut cache, window, (tensor, index), 1e-5)?;
            worst = worst.max((analytic - numerical).abs());
        }
    }
    let verdict = if worst < 1e-8 { "within" } else { "NOT within" };
    writeln!(w).unwrap();
    writeln!(
        w,
        "loss_fun gives the same L and gradients; central differences (G1)"
    )
    .unwrap();
    let count = Params::<f64, V, H>::COUNT;
    writeln!(w, "agree with all {count} of them {verdict} 1e-8").unwrap();
    Ok(out)
}

fn main() -> Result<(), Error> {
    print!("{}", report()?);
    Ok(())
}
