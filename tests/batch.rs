//! Minibatches (`BatchTrainer`, `engine::batch`): one stream is today's
//! training bit for bit; B streams are B batch-1 passes, gradients averaged;
//! the engine equals the teaching layer; the gradient check holds for the
//! batched loss; streams read their own parts of the text.
#![allow(clippy::needless_range_loop)] // t and b index several arrays in step

use min_char_rnn::engine::{BatchWorkspace, Workspace, batch, pass};
use min_char_rnn::forward::forward;
use min_char_rnn::gradcheck::relative_error;
use min_char_rnn::{BatchTrainer, Cache, Error, Params, Rng, Text, Trainer, Vocab};

const MACBETH: &str = include_str!("../examples/data/macbeth.txt");

/// The largest |a − b| relative to the largest |b|, over all elements.
fn relative_to_largest(a: &[f64], b: &[f64]) -> f64 {
    let largest = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let worst = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    worst / largest.max(f64::MIN_POSITIVE)
}

fn params_f64<const V: usize, const H: usize>(p: &Params<f64, V, H>) -> Vec<f64> {
    p.tensors().into_iter().flatten().copied().collect()
}

#[test]
fn one_stream_is_todays_training_bit_for_bit() {
    let vocab = Vocab::<80>::from_text(MACBETH).unwrap();
    let text = Text::new(&vocab, &MACBETH[..20_000]).unwrap();
    let mut rng = Rng::new(3);
    let start = Box::new(Params::<f32, 80, 32>::new(&mut rng));
    let (mut p1, mut pb) = (start.clone(), start.clone());
    let mut one = Box::new(Trainer::<f32, 80, 32, 16>::ZERO);
    let mut batched = Box::new(BatchTrainer::<f32, 80, 32, 16, 1>::ZERO);
    // 1,300 steps: past the end of the text (1,249 windows), so the rewind
    // to the start with h = 0 is compared too.
    for n in 0..1_300 {
        let a = one.step(&mut p1, &text).unwrap();
        let b = batched.step(&mut pb, &text).unwrap();
        assert_eq!(a.to_bits(), b.to_bits(), "loss at step {n}");
    }
    assert_eq!(p1, pb);
    assert_eq!(one.smooth_loss.to_bits(), batched.smooth_loss.to_bits());
    assert_eq!(one.hprev, batched.hprevs[0]);
    assert_eq!(one.adagrad.memory, batched.adagrad.memory);
    // The teaching layer's step too, on a text of 124 windows: through its
    // rewind as well.
    let short = Text::new(&vocab, &MACBETH[..2_000]).unwrap();
    let (mut p1, mut pb) = (start.clone(), start);
    let mut one = Box::new(Trainer::<f32, 80, 32, 16>::ZERO);
    let mut batched = Box::new(BatchTrainer::<f32, 80, 32, 16, 1>::ZERO);
    for n in 0..130 {
        let a = one.step_reference(&mut p1, &short).unwrap();
        let b = batched.step_reference(&mut pb, &short).unwrap();
        assert_eq!(a.to_bits(), b.to_bits(), "reference loss at step {n}");
    }
    assert_eq!(p1, pb);
}

/// The batched pass on 5 streams against 5 separate batch-1 passes (f64):
/// every stream's loss, states and probabilities bit for bit; the summed
/// gradients within 1e−12 of the largest element.
#[test]
fn streams_equal_separate_passes() {
    const V: usize = 11;
    const H: usize = 37; // more than one block of 32 rows, not a multiple of 4
    const T: usize = 6;
    const B: usize = 5;
    let mut rng = Rng::new(8);
    let mut params = Box::new(Params::<f64, V, H>::ZERO);
    params.init_for(V, &mut rng).unwrap();
    for x in params.tensors_mut().into_iter().flatten() {
        *x += 0.3 * rng.normal(); // weights large enough for every term to count
    }
    let xs: [[usize; T]; B] =
        core::array::from_fn(|_| core::array::from_fn(|_| (rng.uniform() * V as f64) as usize));
    let targets: [[usize; T]; B] =
        core::array::from_fn(|_| core::array::from_fn(|_| (rng.uniform() * V as f64) as usize));
    let hprevs: [[f64; H]; B] =
        core::array::from_fn(|_| core::array::from_fn(|_| rng.normal().tanh()));

    let mut work = Box::new(BatchWorkspace::<f64, V, H, T, B>::ZERO);
    let mut grads = Box::new(Params::<f64, V, H>::ZERO);
    let losses = batch::forward(&params, V, &xs, &targets, &hprevs, &mut work).unwrap();
    let hs = work.hs;
    batch::backward(&params, V, &mut work, &targets, &hprevs, &mut grads).unwrap();

    let mut sum = vec![0.0; Params::<f64, V, H>::COUNT];
    for b in 0..B {
        let mut one = Box::new(Workspace::<f64, V, H, T>::ZERO);
        let mut g = Box::new(Params::<f64, V, H>::ZERO);
        let loss = pass::forward(&params, V, &xs[b], &targets[b], &hprevs[b], &mut one).unwrap();
        assert_eq!(loss.to_bits(), losses[b].to_bits(), "stream {b}'s loss");
        for t in 0..T {
            assert_eq!(one.hs[t].0, hs[t][b].0, "stream {b}'s h at step {t}");
        }
        pass::backward(&params, V, &mut one, &targets[b], &hprevs[b], &mut g).unwrap();
        for t in 0..T {
            assert_eq!(one.ps[t], work.ps[t][b], "stream {b}'s dy at step {t}");
            assert_eq!(one.dhs[t], work.dhs[t][b], "stream {b}'s dhraw at step {t}");
        }
        for (s, x) in sum.iter_mut().zip(g.tensors().into_iter().flatten()) {
            *s += x;
        }
    }
    let batched = params_f64(&grads);
    for (name, (a, b)) in ["all"].iter().zip([(&batched, &sum)]) {
        let r = relative_to_largest(a, b);
        assert!(r <= 1e-12, "{name}: {r:e}");
    }
}

/// The engine's minibatch step against the teaching layer's, each step from
/// the same state (f64, 4 streams).
#[test]
fn engine_step_equals_reference_step() {
    let vocab = Vocab::<80>::from_text(MACBETH).unwrap();
    let text = Text::new(&vocab, &MACBETH[..20_000]).unwrap();
    let mut params = Box::new(Params::<f64, 80, 24>::ZERO);
    params.init_for(vocab.len(), &mut Rng::new(5)).unwrap();
    let mut fast = Box::new(BatchTrainer::<f64, 80, 24, 10, 4>::ZERO);
    for n in 0..60 {
        let mut reference = fast.clone();
        let mut p_ref = params.clone();
        let a = fast.step(&mut params, &text).unwrap();
        let b = reference.step_reference(&mut p_ref, &text).unwrap();
        assert!(relative_error(a, b) < 1e-12, "loss at step {n}: {a} vs {b}");
        let r = relative_to_largest(&params_f64(&params), &params_f64(&p_ref));
        assert!(r < 1e-10, "parameters at step {n}: {r:e}");
        assert_eq!(fast.streams, reference.streams);
        for (h, g) in fast.hprevs.iter().zip(&reference.hprevs) {
            assert!(relative_to_largest(h, g) < 1e-12, "hprev at step {n}");
        }
        *params = (*p_ref).clone();
        *fast = (*reference).clone();
    }
}

/// Each stream reads its own part: a text of four runs of one letter each,
/// cut into four parts, gives each stream windows of its own letter only.
#[test]
fn each_stream_reads_its_own_part() {
    let source: String = ['a', 'b', 'c', 'd']
        .iter()
        .map(|c| c.to_string().repeat(40))
        .collect();
    let vocab = Vocab::<4>::from_text(&source).unwrap();
    let text = Text::new(&vocab, &source).unwrap();
    let mut params = Params::<f32, 4, 8>::new(&mut Rng::new(1));
    let mut trainer = Box::new(BatchTrainer::<f32, 4, 8, 5, 4>::ZERO);
    for _ in 0..30 {
        trainer.step(&mut params, &text).unwrap();
        for (t, step) in trainer.work.xs.iter().enumerate() {
            assert_eq!(step, &[0, 1, 2, 3], "step {t}: every stream its own letter");
        }
    }
    let starts: Vec<usize> = trainer.streams.iter().map(|s| s.start).collect();
    assert_eq!(starts, [0, 40, 80, 120]);
}

/// G1 on the batched model: the averaged gradient against central
/// differences of the mean window loss, for elements of every tensor.
#[test]
fn batched_gradients_match_central_differences() {
    const V: usize = 7;
    const H: usize = 9;
    const T: usize = 5;
    const B: usize = 3;
    let mut rng = Rng::new(11);
    let mut params = Params::<f64, V, H>::new(&mut rng);
    for x in params.tensors_mut().into_iter().flatten() {
        *x += 0.2 * rng.normal();
    }
    let xs: [[usize; T]; B] = core::array::from_fn(|b| core::array::from_fn(|t| (t + 2 * b) % V));
    let targets: [[usize; T]; B] =
        core::array::from_fn(|b| core::array::from_fn(|t| (t * 3 + b + 1) % V));
    let hprevs: [[f64; H]; B] =
        core::array::from_fn(|_| core::array::from_fn(|_| rng.normal().tanh()));
    let mut work = Box::new(BatchWorkspace::<f64, V, H, T, B>::ZERO);
    let mut grads = Params::<f64, V, H>::ZERO;
    batch::forward(&params, V, &xs, &targets, &hprevs, &mut work).unwrap();
    batch::backward(&params, V, &mut work, &targets, &hprevs, &mut grads).unwrap();
    let mean_loss = |p: &Params<f64, V, H>| {
        let mut cache = Cache::<f64, V, H, T>::ZERO;
        (0..B)
            .map(|b| forward(p, V, &xs[b], &targets[b], &hprevs[b], &mut cache).unwrap())
            .sum::<f64>()
            / B as f64
    };
    let eps = 1e-5;
    let mut checked = 0;
    for tensor in 0..5 {
        let n = params.tensors()[tensor].len();
        for index in (0..n).step_by(3) {
            let analytic = grads.tensors()[tensor][index] / B as f64;
            let original = params.tensors()[tensor][index];
            params.tensors_mut()[tensor][index] = original + eps;
            let plus = mean_loss(&params);
            params.tensors_mut()[tensor][index] = original - eps;
            let minus = mean_loss(&params);
            params.tensors_mut()[tensor][index] = original;
            let numerical = (plus - minus) / (2.0 * eps);
            if analytic.abs() + numerical.abs() > 1e-8 {
                let e = relative_error(analytic, numerical);
                assert!(
                    e < 1e-6,
                    "tensor {tensor}[{index}]: {analytic} vs {numerical}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} elements checked");
}

#[test]
fn a_text_too_short_for_the_streams_is_an_error() {
    let vocab = Vocab::<8>::from_text("hello world").unwrap();
    let text = Text::new(&vocab, "hello world").unwrap();
    let mut params = Params::<f32, 8, 4>::ZERO;
    let mut trainer = BatchTrainer::<f32, 8, 4, 4, 4>::ZERO;
    let e = trainer.step(&mut params, &text).unwrap_err();
    assert_eq!(
        e,
        Error::TextTooShortForStreams {
            chars: 11,
            streams: 4,
            needed: 20
        }
    );
    assert_eq!(
        e.to_string(),
        "the text has 11 characters, too few for 4 streams: each reads its own part of \
         the text and needs seq_length + 1 characters, 20 in all"
    );
    assert_eq!(trainer.steps, 0);
}

#[test]
fn a_diverged_step_changes_nothing() {
    let source = "abcabcabdabcabcabdabcabcabdabcabcabd";
    let vocab = Vocab::<4>::from_text(source).unwrap();
    let text = Text::new(&vocab, source).unwrap();
    let mut params = Params::<f32, 4, 4>::new(&mut Rng::new(2));
    let mut trainer = BatchTrainer::<f32, 4, 4, 3, 2>::ZERO;
    trainer.step(&mut params, &text).unwrap();
    params.by[0] = f32::NAN;
    let (before_p, before_t) = (params.clone(), trainer.clone());
    for reference in [false, true] {
        let e = if reference {
            trainer.step_reference(&mut params, &text)
        } else {
            trainer.step(&mut params, &text)
        };
        assert_eq!(e, Err(Error::Diverged { step: 2 }));
        assert_eq!(trainer.steps, 1);
        assert_eq!(trainer.streams, before_t.streams);
        assert_eq!(trainer.hprevs, before_t.hprevs);
        assert_eq!(trainer.adagrad.memory, before_t.adagrad.memory);
        assert!(params.tensors()[1..4] == before_p.tensors()[1..4]);
    }
}

/// A checkpoint keeps one stream: `store` writes stream 0's state into a
/// `Trainer`, `resume` takes it back. One stream resumed from a `Trainer`
/// continues exactly as that `Trainer` does; B streams keep stream 0 and
/// start the others afresh.
#[test]
fn store_and_resume_through_a_trainer() {
    let vocab = Vocab::<80>::from_text(MACBETH).unwrap();
    let text = Text::new(&vocab, &MACBETH[..20_000]).unwrap();
    let mut params = Box::new(Params::<f32, 80, 16>::new(&mut Rng::new(4)));
    let mut one = Box::new(Trainer::<f32, 80, 16, 12>::ZERO);
    for _ in 0..40 {
        one.step(&mut params, &text).unwrap();
    }
    let mut batched = Box::new(BatchTrainer::<f32, 80, 16, 12, 1>::ZERO);
    batched.resume(&one, &text).unwrap();
    let mut p2 = params.clone();
    for n in 0..40 {
        let a = one.step(&mut params, &text).unwrap();
        let b = batched.step(&mut p2, &text).unwrap();
        assert_eq!(a.to_bits(), b.to_bits(), "step {n} after resuming");
    }
    assert_eq!(params, p2);

    let mut four = Box::new(BatchTrainer::<f32, 80, 16, 12, 4>::ZERO);
    for _ in 0..30 {
        four.step(&mut p2, &text).unwrap();
    }
    let mut saved = Box::new(Trainer::<f32, 80, 16, 12>::ZERO);
    four.store(&mut saved);
    assert_eq!(saved.steps, 30);
    assert_eq!(saved.hprev, four.hprevs[0]);
    assert_eq!(saved.position, four.streams[0].position);
    let mut again = Box::new(BatchTrainer::<f32, 80, 16, 12, 4>::ZERO);
    again.resume(&saved, &text).unwrap();
    assert_eq!(again.streams[0], four.streams[0]);
    assert_eq!(again.hprevs[0], four.hprevs[0]);
    assert_eq!(again.adagrad.memory, four.adagrad.memory);
    assert_eq!(
        (again.steps, again.smooth_loss),
        (four.steps, four.smooth_loss)
    );
    for (s, f) in again.streams[1..].iter().zip(&four.streams[1..]) {
        assert_eq!((s.start, s.position, s.byte), (f.start, 0, f.start_byte));
    }
    assert!(
        again.hprevs[1..]
            .iter()
            .all(|h| h.iter().all(|&x| x == 0.0))
    );
    let (a, b) = (
        four.step(&mut p2.clone(), &text),
        again.step(&mut p2, &text),
    );
    assert!(a.is_ok() && b.is_ok());
}

/// Shards: two `BatchTrainer`s of two streams, each on its part of the
/// text (`shard_part`), run `gradients` on two threads and `finish`
/// together; they train as one `BatchTrainer` of four streams does, through
/// the rewinds at the parts' ends, on a text whose length is not a multiple
/// of four (f64: losses 1e−12, parameters 1e−10).
#[test]
fn shards_train_as_one_batch() {
    let end = MACBETH.char_indices().nth(1603).unwrap().0; // 4 parts of 400, and 3
    let vocab = Vocab::<80>::from_text(&MACBETH[..end]).unwrap();
    let text = Text::new(&vocab, &MACBETH[..end]).unwrap();
    let mut params = Box::new(Params::<f64, 80, 24>::ZERO);
    params.init_for(vocab.len(), &mut Rng::new(9)).unwrap();
    let mut p_one = params.clone();
    let mut one = Box::new(BatchTrainer::<f64, 80, 24, 10, 4>::ZERO);
    let mut shards = vec![Box::new(BatchTrainer::<f64, 80, 24, 10, 2>::ZERO); 2];
    let halves = [0, 1].map(|k| BatchTrainer::<f64, 80, 24, 10, 2>::shard_part(&text, k, 2));
    let halves = halves.map(Option::unwrap);
    assert_eq!((halves[0].len(), halves[1].len()), (800, 800));
    assert!(BatchTrainer::<f64, 80, 24, 10, 2>::shard_part(&text, 2, 2).is_none());
    for n in 0..100 {
        let a = one.step(&mut p_one, &text).unwrap();
        std::thread::scope(|s| {
            for (shard, half) in shards.iter_mut().zip(&halves) {
                let params = &*params;
                s.spawn(move || shard.gradients(params, half).unwrap());
            }
        });
        let b = BatchTrainer::finish(&mut shards, &mut params).unwrap();
        assert!(relative_error(a, b) < 1e-12, "loss at step {n}: {a} vs {b}");
        let r = relative_to_largest(&params_f64(&params), &params_f64(&p_one));
        assert!(r < 1e-10, "parameters at step {n}: {r:e}");
        for (b, h) in one.hprevs.iter().enumerate() {
            let shard = &shards[b / 2];
            assert_eq!(shard.streams[b % 2].position, one.streams[b].position);
            assert!(relative_to_largest(&shard.hprevs[b % 2], h) < 1e-10);
        }
    }
    assert!(one.streams[0].position < 100 * 10, "the streams rewound");
}

/// `finish` without every shard's gradients is an error that changes
/// nothing.
#[test]
fn finish_needs_every_shards_gradients() {
    let vocab = Vocab::<80>::from_text(MACBETH).unwrap();
    let text = Text::new(&vocab, &MACBETH[..4000]).unwrap();
    let mut params = Params::<f32, 80, 8>::new(&mut Rng::new(3));
    let before = params.clone();
    let mut shards = vec![Box::new(BatchTrainer::<f32, 80, 8, 5, 2>::ZERO); 2];
    let missing = |shard| Err(Error::GradientsMissing { shard });
    let none: &mut [Box<BatchTrainer<f32, 80, 8, 5, 2>>] = &mut [];
    assert_eq!(BatchTrainer::finish(none, &mut params), missing(0));
    assert_eq!(BatchTrainer::finish(&mut shards, &mut params), missing(0));
    let half = BatchTrainer::<f32, 80, 8, 5, 2>::shard_part(&text, 0, 2).unwrap();
    shards[0].gradients(&params, &half).unwrap();
    assert_eq!(BatchTrainer::finish(&mut shards, &mut params), missing(1));
    assert!(params == before && shards[0].steps == 0);
    assert!(BatchTrainer::finish(&mut shards[..1], &mut params).is_ok());
    assert_eq!(
        BatchTrainer::finish(&mut shards[..1], &mut params),
        missing(0)
    );
    let message = Error::GradientsMissing { shard: 1 }.to_string();
    assert!(message.starts_with("shard 1 has no gradients"), "{message}");
}
