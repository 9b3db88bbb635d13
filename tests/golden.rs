//! The golden test: this crate against an independent numpy transcription of
//! min-char-rnn (`tests/reference/reference.py`, output committed as
//! `golden.bin`), in the style of llm.c's `test_gpt2.c`. Same initial weights,
//! same text: the losses, smooth losses, first-step gradients, hidden states,
//! and the parameters and Adagrad memory after several steps must agree, for
//! the teaching layer (`loss_fun`, `Trainer::step_reference`) and the engine
//! (`Trainer::step`) alike.
//!
//! Tolerances, as the largest difference divided by the largest magnitude of
//! the reference array:
//!
//! - f64: 1e-10 for everything (seen: at most 1.3e-13).
//! - f32: 1e-5 for losses, gradients and hidden states (seen: at most 6.2e-7;
//!   f32 rounds at 6e-8 per operation and a window sums tens of terms), and
//!   1e-3 for the parameters and Adagrad memory after several steps (seen:
//!   1.5e-4). Adagrad makes those sensitive: the step η·g/√(Σg² + ε) changes by
//!   up to η/√ε = 1000 times any change of g where |g| ≈ √ε = 1e-4, so a
//!   gradient's f32 rounding error of ~5e-7 can move a weight by ~5e-4.

use min_char_rnn::engine::FastFloat;
use min_char_rnn::{Cache, Float, Params, Text, Trainer, Vocab, loss_fun};

static GOLDEN: &[u8] = include_bytes!("reference/golden.bin");

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        head
    }
    fn u32(&mut self) -> usize {
        u32::from_le_bytes(self.take(4).try_into().unwrap()) as usize
    }
    fn f64s(&mut self, n: usize) -> Vec<f64> {
        self.take(8 * n)
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect()
    }
}

/// max |a − b| / max |b|: the worst difference on the scale of the reference.
fn difference(ours: &[f64], reference: &[f64]) -> f64 {
    assert_eq!(ours.len(), reference.len());
    let scale = reference
        .iter()
        .fold(0.0f64, |m, b| m.max(b.abs()))
        .max(1e-300);
    let diff = ours
        .iter()
        .zip(reference)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    diff / scale
}

/// All parameters in numpy's order and layout: `Wxh` (H×V, which the crate
/// stores transposed as `WxhT`), then `Whh Why bh by`.
fn flat<F: Float, const V: usize, const H: usize>(p: &Params<F, V, H>) -> Vec<f64> {
    let wxh = (0..H).flat_map(|i| (0..V).map(move |x| p.WxhT[x][i].to_f64()));
    let rest = p.tensors()[1..]
        .iter()
        .flat_map(|t| t.iter().map(|x| x.to_f64()))
        .collect::<Vec<_>>();
    wxh.chain(rest).collect()
}

/// Checks one case; returns the worst difference seen.
fn check_case<F: FastFloat, const V: usize, const H: usize, const T: usize>(
    r: &mut Reader<'_>,
    (tolerance, after_steps_tolerance): (f64, f64),
) -> f64 {
    assert_eq!((r.u32(), r.u32(), r.u32()), (V, H, T), "case shape");
    let steps = r.u32();
    let text_len = r.u32();
    let text = std::str::from_utf8(r.take(text_len)).unwrap();
    let p_count = Params::<F, V, H>::COUNT;
    let initial = r.f64s(p_count);
    let losses = r.f64s(2 * steps);
    let raw_grads = r.f64s(p_count);
    let hprev_1 = r.f64s(H);
    let (final_params, final_memory, final_hprev) = (r.f64s(p_count), r.f64s(p_count), r.f64s(H));

    let vocab = Vocab::<V>::from_text(text).unwrap();
    assert_eq!(vocab.len(), V);
    let text = Text::new(&vocab, text).unwrap();
    let mut params = Box::new(Params::<F, V, H>::ZERO);
    let mut values = initial.iter();
    for i in 0..H {
        for x in 0..V {
            params.WxhT[x][i] = F::from_f64(*values.next().unwrap()); // numpy's Wxh[i][x]
        }
    }
    for tensor in &mut params.tensors_mut()[1..] {
        for w in tensor.iter_mut() {
            *w = F::from_f64(*values.next().unwrap());
        }
    }

    let mut worst = Vec::new();
    let mut check = |what: &str, ours: &[f64], reference: &[f64]| {
        let d = difference(ours, reference);
        let limit = if what.contains("after") {
            after_steps_tolerance
        } else {
            tolerance
        };
        println!("  {:<6} {what:<28} {d:.2e} (limit {limit:.0e})", F::NAME);
        assert!(d <= limit, "{what}: difference {d:e} > {limit:e}");
        worst.push(d);
    };

    // The first window's unclipped gradients, straight from lossFun.
    let (mut xs, mut ys) = ([0; T], [0; T]);
    text.window(0, &mut xs, &mut ys).unwrap();
    let mut cache = Box::new(Cache::<F, V, H, T>::ZERO);
    let mut grads = Box::new(Params::ZERO);
    loss_fun(&params, V, &xs, &ys, &[F::ZERO; H], &mut cache, &mut grads).unwrap();
    check("step 1 gradients (raw)", &flat(&grads), &raw_grads);

    let start = params.clone();
    for (path, reference) in [("engine", false), ("teaching", true)] {
        let mut params = start.clone();
        let mut trainer = Box::new(Trainer::<F, V, H, T>::new());
        for s in 0..steps {
            let loss = if reference {
                trainer.step_reference(&mut params, &text)
            } else {
                trainer.step(&mut params, &text)
            };
            check(
                &format!("{path}: step {} loss, smooth loss", s + 1),
                &[loss.unwrap().to_f64(), trainer.smooth_loss],
                &losses[2 * s..2 * s + 2],
            );
            if s == 0 {
                let h: Vec<f64> = trainer.hprev.iter().map(|x| x.to_f64()).collect();
                check(&format!("{path}: step 1 hprev"), &h, &hprev_1);
            }
        }
        let after = |what: &str| format!("{path}: {what} after {steps}");
        check(&after("parameters"), &flat(&params), &final_params);
        let memory = flat(&trainer.adagrad.memory);
        check(&after("Adagrad memory"), &memory, &final_memory);
        let h: Vec<f64> = trainer.hprev.iter().map(|x| x.to_f64()).collect();
        check(&after("hprev"), &h, &final_hprev);
    }
    worst.into_iter().fold(0.0, f64::max)
}

fn run<F: FastFloat>(tolerance: (f64, f64)) -> f64 {
    let mut r = Reader { bytes: GOLDEN };
    assert_eq!(r.take(8), b"MCRGOLD1");
    assert_eq!(r.u32(), 2);
    let a = check_case::<F, 11, 8, 5>(&mut r, tolerance);
    let b = check_case::<F, 19, 6, 10>(&mut r, tolerance);
    assert!(r.bytes.is_empty(), "trailing bytes in golden.bin");
    a.max(b)
}

#[test]
fn f64_matches_numpy_reference() {
    let worst = run::<f64>((1e-10, 1e-10));
    println!("f64: worst difference {worst:.2e}");
}

#[test]
fn f32_matches_numpy_reference_within_f32_precision() {
    let worst = run::<f32>((1e-5, 1e-3));
    println!("f32: worst difference {worst:.2e}");
}
