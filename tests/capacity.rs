//! Unused capacity is inert: a model compiled with room for more symbols
//! than its text has trains exactly as min-char-rnn with vocab_size = the
//! number of symbols the text has. The outputs beyond it get no probability,
//! no gradient and are never sampled, and the loss starts at T·ln n.

use min_char_rnn::{Params, Pick, Rng, Sampler, Text, Trainer, Vocab};

/// 8 distinct symbols: " ,abdefo" (and no more).
const SOURCE: &str = "a bad fob, a dead doe, a fed bee, a bob, a faded bead, a dab of foe";
const N: usize = 8;
const H: usize = 10;
const T: usize = 6;
/// A capacity with room to spare, and not a multiple of four (the engine
/// adds rows four at a time).
const BIG: usize = 13;

/// The largest difference between the used part of two models, relative to
/// the largest magnitude of the exact one.
fn difference(big: &Params<f64, BIG, H>, exact: &Params<f64, N, H>) -> f64 {
    let used = |p: &Params<f64, BIG, H>| {
        let mut v = p.WxhT[..N].as_flattened().to_vec();
        v.extend(p.Whh.as_flattened());
        v.extend(p.Why[..N].as_flattened());
        v.extend(&p.bh);
        v.extend(&p.by[..N]);
        v
    };
    let exact: Vec<f64> = exact.tensors().concat();
    let scale = exact.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let d = used(big)
        .iter()
        .zip(&exact)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    d / scale
}

#[test]
fn larger_capacity_trains_as_the_exact_size() {
    let (big_vocab, exact_vocab) = (
        Vocab::<BIG>::from_text(SOURCE).unwrap(),
        Vocab::<N>::from_text(SOURCE).unwrap(),
    );
    assert_eq!(big_vocab.len(), N);
    let big_text = Text::new(&big_vocab, SOURCE).unwrap();
    let exact_text = Text::new(&exact_vocab, SOURCE).unwrap();

    for reference in [false, true] {
        let path = if reference { "teaching" } else { "engine" };
        let mut big = Params::<f64, BIG, H>::ZERO;
        big.init_for(N, &mut Rng::new(3)).unwrap();
        let mut exact = Params::<f64, N, H>::new(&mut Rng::new(3));
        assert_eq!(difference(&big, &exact), 0.0, "the same initial draws");
        let mut big_trainer = Trainer::<f64, BIG, H, T>::new();
        let mut exact_trainer = Trainer::<f64, N, H, T>::new();
        let mut worst = 0.0f64;
        for step in 0..50 {
            let (a, b) = if reference {
                (
                    big_trainer.step_reference(&mut big, &big_text).unwrap(),
                    exact_trainer
                        .step_reference(&mut exact, &exact_text)
                        .unwrap(),
                )
            } else {
                (
                    big_trainer.step(&mut big, &big_text).unwrap(),
                    exact_trainer.step(&mut exact, &exact_text).unwrap(),
                )
            };
            if step == 0 {
                // An untrained model guesses nearly uniformly over the 8
                // symbols, not the 13 of the capacity.
                let uniform = T as f64 * (N as f64).ln();
                assert!((a - uniform).abs() < 0.01, "{path}: first loss {a}");
                // And the smoothed loss starts from T ln n, not T ln 13.
                let smooth = 0.999 * uniform + 0.001 * a;
                assert!((big_trainer.smooth_loss - smooth).abs() < 1e-12);
            }
            assert!((a - b).abs() <= 1e-12 * b, "{path} step {step}: {a} vs {b}");
            let (g_big, g_exact) = (&big_trainer.grads, &exact_trainer.grads);
            let g = difference(g_big, g_exact);
            assert!(g <= 1e-12, "{path} step {step}: gradients differ by {g:e}");
            assert!(
                g_big.Why[N..].as_flattened().iter().all(|&x| x == 0.0)
                    && g_big.by[N..].iter().all(|&x| x == 0.0),
                "{path}: no gradient for the unused outputs"
            );
            worst = worst.max(difference(&big, &exact));
        }
        println!("{path}: parameters within {worst:.2e} after 50 steps");
        assert!(worst <= 1e-12, "{path}: parameters differ by {worst:e}");
        assert!(big.Why[N..].as_flattened().iter().all(|&x| x == 0.0));
        assert_eq!(big_trainer.smooth_loss, exact_trainer.smooth_loss);
    }
}

#[test]
fn unused_capacity_is_never_sampled() {
    let vocab = Vocab::<BIG>::from_text(SOURCE).unwrap();
    let mut params = Params::<f64, BIG, H>::ZERO;
    params.init_for(N, &mut Rng::new(4)).unwrap();
    // Make the unused outputs the most likely logits by far.
    for by in &mut params.by[N..] {
        *by = 50.0;
    }
    let mut rng = Rng::new(5);
    let sampler = Sampler::new(&params, &vocab, &mut rng, "a", Pick::SAMPLE).unwrap();
    assert!(sampler.take(200).all(|c| vocab.symbols().contains(&c)));
}
