//! Behaviour: the model actually learns, on a toy word and on real text.

use min_char_rnn::{Params, Pick, Rng, Sampler, Text, Trainer, Vocab};

#[test]
fn hello_is_learned() {
    let vocab = Vocab::<4>::from_text("hello").unwrap();
    let text = Text::new(&vocab, "hello").unwrap();
    let mut rng = Rng::new(42);
    let mut params = Params::<f32, 4, 16>::new(&mut rng);
    let mut trainer = Trainer::<f32, 4, 16, 4>::new();
    let first = trainer.step(&mut params, &text).unwrap();
    let mut last = first;
    for _ in 0..300 {
        last = trainer.step(&mut params, &text).unwrap();
    }
    assert!(
        (first - 4.0 * 4f32.ln()).abs() < 0.01,
        "untrained loss {first}"
    );
    assert!(last < 0.01, "loss after 300 steps {last}");
    let word: String = Sampler::new(&params, &vocab, &mut rng, "h", Pick::Argmax)
        .unwrap()
        .take(4)
        .collect();
    assert_eq!(word, "ello");
    // Sampling at temperature 1 also says it: the distribution is that sharp.
    let sampled: String = Sampler::new(&params, &vocab, &mut rng, "h", Pick::SAMPLE)
        .unwrap()
        .take(4)
        .collect();
    assert_eq!(sampled, "ello");
}

#[test]
fn macbeth_smooth_loss_falls_well_below_its_start() {
    const V: usize = 67; // Macbeth has exactly 67 distinct characters
    const H: usize = 64;
    const T: usize = 25;
    let source = include_str!("../examples/data/macbeth.txt");
    let vocab = Vocab::<V>::from_text(source).unwrap();
    let text = Text::new(&vocab, source).unwrap();
    let mut params = Box::new(Params::<f32, V, H>::ZERO);
    params.init(&mut Rng::new(7));
    let mut trainer = Box::new(Trainer::<f32, V, H, T>::new());
    let start = 25.0 * (V as f64).ln(); // 105.1: a uniform guess
    for _ in 0..3000 {
        trainer.step(&mut params, &text).unwrap();
    }
    // The smooth loss moves only 0.1% per step toward the loss, so after 3000
    // steps it still carries 5% of its start: this asks the recent per-window
    // loss to average under about 2.65 nats/char, down from ln 67 = 4.2.
    println!(
        "smooth loss after 3000 steps: {} (start {start})",
        trainer.smooth_loss
    );
    assert!(
        trainer.smooth_loss < 0.65 * start,
        "{}",
        trainer.smooth_loss
    );
}
