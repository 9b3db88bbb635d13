//! The engine (`src/engine/`) against the teaching layer it must equal: each
//! kernel, one whole window, and a hundred training steps. Bit for bit where
//! the engine adds in the same order; within a stated bound where it groups
//! the additions differently, fuses a multiply-add or approximates a function.
//!
//! The bounds are the textbook ones for a regrouped sum of n terms, |fast −
//! reference| ≤ 2nε·Σ|terms| (ε = the float's machine epsilon), and the
//! measured worst cases of the approximations (`src/engine/approx.rs`). This
//! file runs in every build CI makes: portable (no FMA: Adagrad divides) and
//! compiled for the CPU (FMA: fused products, Newton's 1/√x).

use min_char_rnn::engine::{self, FUSED_MULTIPLY_ADD, FastFloat, Row, Workspace, pass};
use min_char_rnn::{Adagrad, Cache, Params, Rng, Text, Trainer, Vocab, clip, loss_fun, matrix};

/// A matrix of normal draws.
fn normal<const R: usize, const C: usize>(rng: &mut Rng) -> [[f64; C]; R] {
    core::array::from_fn(|_| core::array::from_fn(|_| rng.normal()))
}

/// |a − b| ≤ bound, element by element, with the worst ratio printed.
fn assert_within(what: &str, fast: &[f64], reference: &[f64], bound: impl Fn(usize) -> f64) {
    assert_eq!(fast.len(), reference.len());
    let mut worst = 0.0f64;
    for (i, (a, b)) in fast.iter().zip(reference).enumerate() {
        let limit = bound(i);
        assert!(
            (a - b).abs() <= limit,
            "{what}[{i}]: {a:e} vs {b:e}, difference {:e} > {limit:e}",
            (a - b).abs()
        );
        if limit > 0.0 {
            worst = worst.max((a - b).abs() / limit);
        }
    }
    println!("{what}: worst difference {worst:.3} of its bound");
}

#[test]
fn axpy_and_add_outer() {
    let mut rng = Rng::new(1);
    let [x, y0]: [[f64; 37]; 2] = normal(&mut rng);
    let alpha = rng.normal();
    let (mut fast, mut reference) = (y0, y0);
    engine::products::axpy(alpha, &x, &mut fast);
    matrix::axpy(alpha, &x, &mut reference);
    // Fused: one rounding instead of two, so within an ulp of each term.
    let bound = |i: usize| 2.0 * f64::EPSILON * (y0[i].abs() + (alpha * x[i]).abs());
    if FUSED_MULTIPLY_ADD {
        assert_within("axpy", &fast, &reference, bound);
    } else {
        assert_eq!(fast, reference);
    }

    let a0: [[f64; 9]; 7] = normal(&mut rng);
    let [u]: [[f64; 7]; 1] = normal(&mut rng);
    let [v]: [[f64; 9]; 1] = normal(&mut rng);
    let (mut fast, mut reference) = (a0, a0);
    engine::products::add_outer(&mut fast, &u, &v);
    matrix::add_outer(&mut reference, &u, &v);
    if FUSED_MULTIPLY_ADD {
        let bound = |k: usize| {
            let (i, j) = (k / 9, k % 9);
            2.0 * f64::EPSILON * (a0[i][j].abs() + (u[i] * v[j]).abs())
        };
        assert_within(
            "add_outer",
            fast.as_flattened(),
            reference.as_flattened(),
            bound,
        );
    } else {
        assert_eq!(fast, reference);
    }
}

/// `out += Wᵀ v` by the engine (both row orders, plain and aligned rows, and
/// in a batch) against the textbook sum of rows.
fn check_transposed<const R: usize, const C: usize>(seed: u64) {
    let mut rng = Rng::new(seed);
    let w: [[f64; C]; R] = normal(&mut rng);
    let vs: [[f64; R]; 3] = normal(&mut rng);
    let starts: [[f64; C]; 3] = normal(&mut rng);
    let rows: [Row<f64, C>; R] = w.map(Row);
    let mut batch = starts;
    engine::products::matmat_transposed_add(&w, &vs, &mut batch);
    for ((v, start), batched) in vs.iter().zip(&starts).zip(&batch) {
        let mut reference = *start;
        matrix::matvec_transposed_add(&w, v, &mut reference);
        // Σ|terms| per column, and the regrouped-sum bound 2nε of it.
        let scale: [f64; C] = core::array::from_fn(|j| {
            start[j].abs() + (0..R).map(|i| (w[i][j] * v[i]).abs()).sum::<f64>()
        });
        let bound = |j: usize| 2.0 * (R + 1) as f64 * f64::EPSILON * scale[j];
        let what = format!("Wᵀv {R}×{C}");
        for order in [
            engine::products::RowOrder::Forwards,
            engine::products::RowOrder::Backwards,
        ] {
            let (mut plain, mut aligned) = (*start, *start);
            engine::products::matvec_transposed_add_ordered(&w, v, &mut plain, order);
            engine::products::matvec_transposed_add_ordered(&rows, v, &mut aligned, order);
            assert_eq!(plain, aligned, "{what}: aligned rows change no bit");
            assert_within(&format!("{what} {order:?}"), &plain, &reference, bound);
        }
        assert_within(&format!("{what} batched"), batched, &reference, bound);
    }
}

#[test]
fn transposed_products() {
    check_transposed::<1, 3>(2);
    check_transposed::<7, 16>(3);
    check_transposed::<37, 48>(4);
    check_transposed::<100, 76>(5); // Whyᵀ dy at H = 100, V = 76
    check_transposed::<100, 100>(6); // Whhᵀ dhraw
    check_transposed::<76, 100>(7);
    check_transposed::<130, 300>(8); // tiles of several widths
}

/// `A = Σ_t u_t v_tᵀ` by the engine against N textbook outer products.
fn check_sum_outer<const R: usize, const C: usize, const N: usize>(seed: u64) {
    let mut rng = Rng::new(seed);
    let us: [[f64; R]; N] = normal(&mut rng);
    let vs: [[f64; C]; N] = normal(&mut rng);
    let mut fast = [[1.0f64; C]; R]; // overwritten
    engine::products::sum_outer(&mut fast, &us, &vs);
    let mut reference = [[0.0f64; C]; R];
    for (u, v) in us.iter().zip(&vs) {
        matrix::add_outer(&mut reference, u, v);
    }
    let bound = |k: usize| {
        let (i, j) = (k / C, k % C);
        let scale: f64 = (0..N).map(|t| (us[t][i] * vs[t][j]).abs()).sum();
        2.0 * N as f64 * f64::EPSILON * scale
    };
    let what = format!("Σ u vᵀ {R}×{C}, {N} pairs");
    assert_within(&what, fast.as_flattened(), reference.as_flattened(), bound);
}

#[test]
fn sum_of_outer_products() {
    check_sum_outer::<3, 5, 7>(9);
    check_sum_outer::<76, 100, 25>(10); // dWhy at H = 100, V = 76, T = 25
    check_sum_outer::<100, 100, 24>(11); // dWhh
    check_sum_outer::<6, 200, 6>(12); // wider than two blocks: the blocked path
}

#[test]
fn transpose_is_exact() {
    fn check<const R: usize, const C: usize>() {
        let a: [[f64; C]; R] = normal(&mut Rng::new(13));
        let mut t = [[0.0; R]; C];
        engine::products::transpose(&a, &mut t);
        for (i, a_i) in a.iter().enumerate() {
            for (j, &a_ij) in a_i.iter().enumerate() {
                assert_eq!(t[j][i], a_ij, "{R}×{C}");
            }
        }
    }
    check::<130, 150>();
    check::<100, 100>();
    check::<37, 48>();
    check::<3, 5>();
}

#[test]
fn activations() {
    let mut rng = Rng::new(14);
    for scale in [0.1, 3.0, 30.0] {
        let y: [f64; 76] = core::array::from_fn(|_| scale * rng.normal());
        let (mut fast, mut reference) = ([0.0; 76], [0.0; 76]);
        engine::activation::softmax(&y, &mut fast);
        min_char_rnn::activation::softmax(&y, &mut reference);
        // exp within 2 ulp of libm's; the sum regrouped (76 terms); a division.
        let bound = |i: usize| 8.0 * f64::EPSILON * reference[i] + f64::MIN_POSITIVE;
        assert_within(&format!("softmax ×{scale}"), &fast, &reference, bound);

        let mut fast = y;
        let mut reference = y;
        engine::activation::tanh_in_place(&mut fast);
        min_char_rnn::activation::tanh_in_place(&mut reference);
        let bound = |i: usize| 3.0 * f64::EPSILON * reference[i].abs();
        assert_within(&format!("tanh ×{scale}"), &fast, &reference, bound);
    }
}

#[test]
fn clip_and_adagrad() {
    let mut rng = Rng::new(15);
    let mut params = Params::<f64, 6, 5>::new(&mut rng);
    let mut grads = Params::<f64, 6, 5>::ZERO;
    for t in grads.tensors_mut() {
        for g in t {
            *g = rng.normal() * 4.0; // about a fifth beyond ±5
        }
    }
    let inputs = [3, 0, 3]; // dWxhT is zero outside rows 0 and 3, as backward leaves it
    for x in [1, 2, 4, 5] {
        grads.WxhT[x] = [0.0; 5];
    }
    let (mut fast, mut reference) = (Adagrad::ZERO, Adagrad::ZERO);
    let (mut params_ref, mut grads_ref) = (params.clone(), grads.clone());
    for step in 0..3 {
        let before = params.clone();
        engine::update::clip_and_update(&mut fast, &mut params, &mut grads, 5.0, &inputs);
        clip::clip(&mut grads_ref, 5.0);
        reference.update(&mut params_ref, &grads_ref);
        assert_eq!(grads, grads_ref, "the gradients are clipped alike");
        if engine::ADAGRAD_DIVIDES && !FUSED_MULTIPLY_ADD {
            assert_eq!((&params, &fast), (&params_ref, &reference), "bit for bit");
            continue;
        }
        // Newton's 1/√x within 2 ulp, m + d² fused: each θ within 4 ulp of
        // its step, plus the rounding of θ itself; m within an ulp.
        let flat = |p: &Params<f64, 6, 5>| p.tensors().concat();
        let (a, b, start) = (flat(&params), flat(&params_ref), flat(&before));
        let bound =
            |i: usize| 4.0 * f64::EPSILON * (b[i] - start[i]).abs() + f64::EPSILON * b[i].abs();
        assert_within(&format!("θ after step {step}"), &a, &b, bound);
        let (m, m_ref) = (flat(&fast.memory), flat(&reference.memory));
        assert_within("m", &m, &m_ref, |i| f64::EPSILON * m_ref[i]);
    }
}

const V: usize = 76;
const H: usize = 100;
const T: usize = 25;

/// One window, from trained-looking parameters (larger than the initial
/// 0.01, so that no gradient is negligible), by both layers; `vocab_size` 70
/// of a capacity of 76. Returns the worst difference of the loss and of each
/// tensor of gradients, relative to the largest element of that tensor.
fn one_window<F: FastFloat>() -> [f64; 6] {
    let vocab_size = 70;
    let mut rng = Rng::new(16);
    let mut params = Box::new(Params::<F, V, H>::ZERO);
    for t in params.tensors_mut() {
        for w in t {
            *w = F::from_f64(0.1 * rng.normal());
        }
    }
    let hprev: [F; H] = core::array::from_fn(|_| F::from_f64(0.5 * rng.uniform() - 0.25));
    let xs: [usize; T] = core::array::from_fn(|_| (rng.uniform() * vocab_size as f64) as usize);
    let targets: [usize; T] = core::array::from_fn(|t| xs[(t + 1) % T]);

    let (mut cache, mut grads) = (Box::new(Cache::ZERO), Box::new(Params::ZERO));
    let loss = loss_fun(
        &params, vocab_size, &xs, &targets, &hprev, &mut cache, &mut grads,
    );
    let mut work = Box::new(Workspace::<F, V, H, T>::ZERO);
    let mut fast_grads = Box::new(Params::ZERO);
    let fast_loss = pass::forward(&params, vocab_size, &xs, &targets, &hprev, &mut work);
    pass::backward(
        &params,
        vocab_size,
        &mut work,
        &targets,
        &hprev,
        &mut fast_grads,
    )
    .unwrap();
    let (loss, fast_loss) = (loss.unwrap().to_f64(), fast_loss.unwrap().to_f64());

    let mut worst = [(fast_loss - loss).abs() / loss, 0.0, 0.0, 0.0, 0.0, 0.0];
    for (k, (a, b)) in fast_grads.tensors().iter().zip(grads.tensors()).enumerate() {
        let scale = b.iter().fold(0.0f64, |m, x| m.max(x.to_f64().abs()));
        assert!(scale > 0.0, "tensor {k} has a gradient");
        let diff = a
            .iter()
            .zip(b)
            .fold(0.0f64, |m, (x, y)| m.max((x.to_f64() - y.to_f64()).abs()));
        worst[k + 1] = diff / scale;
    }
    // The unused outputs: no probability, so no gradient, in either layer.
    for g in [&grads, &fast_grads] {
        assert!(
            g.Why[vocab_size..]
                .iter()
                .all(|row| row.iter().all(|&x| x == F::ZERO))
        );
        assert!(g.by[vocab_size..].iter().all(|&x| x == F::ZERO));
    }
    let shown: Vec<String> = worst.iter().map(|d| format!("{d:.2e}")).collect();
    println!(
        "{}: loss, dWxh, dWhh, dWhy, dbh, dby: {}",
        F::NAME,
        shown.join(" ")
    );
    worst
}

#[test]
fn one_window_f64() {
    for (what, d) in ["loss", "dWxh", "dWhh", "dWhy", "dbh", "dby"]
        .iter()
        .zip(one_window::<f64>())
    {
        assert!(d <= 1e-12, "{what}: {d:e}");
    }
}

#[test]
fn one_window_f32() {
    // f32 rounds at 6e-8 per operation; a window chains T = 25 steps of
    // 100-term sums and tanh.
    for (what, d) in ["loss", "dWxh", "dWhh", "dWhy", "dbh", "dby"]
        .iter()
        .zip(one_window::<f32>())
    {
        assert!(d <= 1e-4, "{what}: {d:e}");
    }
}

/// A hundred training steps along the engine's trajectory, each checked
/// against the textbook step taken from the same state: the loss, every
/// parameter, Adagrad's memory, `hprev` and the window pointer.
///
/// Not two trajectories side by side: Adagrad's step η·g/√(Σg² + ε) turns a
/// gradient's rounding into a parameter change up to η/√ε = 1000 times larger
/// where |g| is near √ε, so two roundings of the same training part ways
/// exponentially (measured here: 1e-16 after 3 steps, 1e-9 after 15, 1e-3
/// after 25, then different runs), as two builds of min-char-rnn itself do.
#[test]
fn hundred_steps() {
    // Macbeth's first 20,000 characters; capacity 64 for its 63 symbols.
    let source: String = include_str!("../examples/data/macbeth.txt")
        .chars()
        .take(20_000)
        .collect();
    let vocab = Vocab::<64>::from_text(&source).unwrap();
    let text = Text::new(&vocab, &source).unwrap();
    let mut params = Box::new(Params::<f64, 64, 32>::ZERO);
    params.init_for(vocab.len(), &mut Rng::new(17)).unwrap();
    let mut trainer = Box::new(Trainer::<f64, 64, 32, 25>::new());
    let (mut worst_loss, mut worst_param, mut worst_memory) = (0.0f64, 0.0f64, 0.0f64);
    let flat = |p: &Params<f64, 64, 32>| p.tensors().concat();
    let max_diff = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
    };
    for _ in 0..100 {
        let (mut reference, mut reference_trainer) = (params.clone(), trainer.clone());
        let b = reference_trainer
            .step_reference(&mut reference, &text)
            .unwrap();
        let a = trainer.step(&mut params, &text).unwrap();
        worst_loss = worst_loss.max((a - b).abs() / b);
        worst_param = worst_param.max(max_diff(&flat(&params), &flat(&reference)));
        let (m, m_ref) = (&trainer.adagrad.memory, &reference_trainer.adagrad.memory);
        let m_scale = flat(m_ref).iter().fold(0.0f64, |s, x| s.max(*x));
        worst_memory = worst_memory.max(max_diff(&flat(m), &flat(m_ref)) / m_scale);
        assert!(max_diff(&trainer.hprev, &reference_trainer.hprev) <= 1e-12);
        assert_eq!(
            (trainer.position, trainer.steps),
            (reference_trainer.position, reference_trainer.steps)
        );
        assert!((trainer.smooth_loss - reference_trainer.smooth_loss).abs() <= 1e-12);
    }
    println!(
        "100 steps, each from the same state: losses within {worst_loss:.2e} relative, \
         parameters within {worst_param:.2e}, Adagrad memory within {worst_memory:.2e} relative"
    );
    assert!(worst_loss <= 1e-12, "losses: {worst_loss:e}");
    assert!(worst_param <= 1e-10, "parameters: {worst_param:e}");
    assert!(worst_memory <= 1e-12, "Adagrad memory: {worst_memory:e}");
}
