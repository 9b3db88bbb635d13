//! Same seed, same machine: bit-identical training and sampling.

use min_char_rnn::{Params, Pick, Rng, Sampler, Text, Trainer, Vocab};

const SOURCE: &str = "Double, double toil and trouble; Fire burn and cauldron bubble.";

fn run(seed: u64) -> (Params<f64, 32, 12>, String) {
    let vocab = Vocab::<32>::from_text(SOURCE).unwrap();
    let text = Text::new(&vocab, SOURCE).unwrap();
    let mut rng = Rng::new(seed);
    let mut params = Params::<f64, 32, 12>::new(&mut rng);
    let mut trainer = Trainer::<f64, 32, 12, 8>::new();
    for _ in 0..200 {
        trainer.step(&mut params, &text).unwrap();
    }
    let sample = Sampler::new(&params, &vocab, &mut rng, "D", Pick::SAMPLE)
        .unwrap()
        .take(50)
        .collect();
    (params, sample)
}

fn bits(p: &Params<f64, 32, 12>) -> Vec<u64> {
    p.tensors()
        .iter()
        .flat_map(|t| t.iter().map(|x| x.to_bits()))
        .collect()
}

#[test]
fn same_seed_gives_bit_identical_parameters_and_samples() {
    let (a, sa) = run(11);
    let (b, sb) = run(11);
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(sa, sb);
}

#[test]
fn another_seed_gives_another_model() {
    let (a, _) = run(11);
    let (c, _) = run(12);
    assert_ne!(bits(&a), bits(&c));
}
