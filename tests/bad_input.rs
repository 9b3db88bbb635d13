//! Every user mistake is a typed error with a message that says what to do.

use min_char_rnn::{Adagrad, Error, Params, Pick, Rng, Sampler, Text, Trainer, Vocab};

fn message(e: Error) -> String {
    e.to_string()
}

#[test]
fn empty_text() {
    let e = Vocab::<8>::from_text("").unwrap_err();
    assert_eq!(e, Error::EmptyText);
    assert_eq!(message(e), "the text is empty");
    let vocab = Vocab::<8>::from_text("ab").unwrap();
    assert_eq!(Text::new(&vocab, "").unwrap_err(), Error::EmptyText);
}

#[test]
fn too_many_symbols_names_the_count_and_the_fix() {
    let e = Vocab::<26>::from_text("The quick brown fox jumps over the lazy dog.").unwrap_err();
    assert_eq!(
        e,
        Error::TooManySymbols {
            found: 29,
            capacity: 26
        }
    );
    assert_eq!(
        message(e),
        "the text has 29 distinct characters but the vocabulary holds at most 26: \
         choose a vocabulary capacity V of at least 29"
    );
}

#[test]
fn text_shorter_than_a_window() {
    let vocab = Vocab::<4>::from_text("hello").unwrap();
    let text = Text::new(&vocab, "hello").unwrap();
    let mut params = Params::<f32, 4, 4>::ZERO;
    let mut trainer = Trainer::<f32, 4, 4, 8>::new();
    let e = trainer.step(&mut params, &text).unwrap_err();
    assert_eq!(
        e,
        Error::TextTooShort {
            chars: 5,
            needed: 9
        }
    );
    assert_eq!(
        message(e),
        "the text has 5 characters but training needs at least 9 \
         (seq_length inputs plus one target)"
    );
}

#[test]
fn char_outside_the_vocabulary() {
    let vocab = Vocab::<4>::from_text("hello").unwrap();
    let e = Text::new(&vocab, "hello, world").unwrap_err();
    assert_eq!(
        e,
        Error::UnknownChar {
            ch: ',',
            position: 5
        }
    );
    assert_eq!(
        message(e),
        "character ',' (U+002C) at position 5 is not in the vocabulary"
    );
    let params = Params::<f32, 4, 4>::ZERO;
    let mut rng = Rng::new(1);
    let e = Sampler::new(&params, &vocab, &mut rng, "hé", Pick::SAMPLE)
        .err()
        .unwrap();
    assert_eq!(
        message(e),
        "character 'é' (U+00E9) at position 1 is not in the vocabulary"
    );
}

#[test]
fn empty_prime_and_bad_temperature() {
    let vocab = Vocab::<4>::from_text("hello").unwrap();
    let params = Params::<f32, 4, 4>::ZERO;
    let mut rng = Rng::new(1);
    let e = Sampler::new(&params, &vocab, &mut rng, "", Pick::Argmax)
        .err()
        .unwrap();
    assert_eq!(
        message(e),
        "the prime text is empty: give at least one character"
    );
    let zero = Pick::Sample { temperature: 0.0 };
    let e = Sampler::new(&params, &vocab, &mut rng, "h", zero)
        .err()
        .unwrap();
    assert_eq!(e, Error::BadTemperature { value: 0.0 });
    assert_eq!(
        message(e),
        "temperature 0 is not allowed: it must be finite and greater than 0 \
         (use argmax for the most likely character)"
    );
}

#[test]
fn bad_learning_rate() {
    let mut adagrad = Adagrad::<f32, 4, 4>::ZERO;
    let e = adagrad.set_learning_rate(-0.5).unwrap_err();
    assert_eq!(
        message(e),
        "learning rate -0.5 is not allowed: it must be finite and greater than 0"
    );
}

#[test]
fn index_outside_the_vocabulary() {
    let mut params = Params::<f32, 4, 4>::ZERO;
    let mut trainer = Trainer::<f32, 4, 4, 2>::new();
    let e = trainer
        .train_window(&mut params, 4, &[0, 1], &[1, 4])
        .unwrap_err();
    assert_eq!(
        message(e),
        "symbol index 4 is out of range for a vocabulary of 4"
    );
    // The teaching layer checks the same, and an index beyond the symbols
    // in use is out of range even where the capacity V has room for it.
    let e = trainer
        .train_window_reference(&mut params, 3, &[0, 3], &[1, 2])
        .unwrap_err();
    assert_eq!(
        message(e),
        "symbol index 3 is out of range for a vocabulary of 3"
    );
    let e = trainer
        .train_window_reference(&mut params, 5, &[0, 1], &[1, 2])
        .unwrap_err();
    assert_eq!(
        message(e),
        "vocab_size 5 is not allowed: the model has room for 1 to 4 symbols"
    );
    assert_eq!(
        trainer.steps, 0,
        "a refused window must not count as trained"
    );
    let vocab = Vocab::<4>::from_text("hello").unwrap();
    let mut rng = Rng::new(1);
    let e = Sampler::from_state(&params, &vocab, &mut rng, &[0.0; 4], 9, Pick::Argmax)
        .err()
        .unwrap();
    assert_eq!(
        e,
        Error::IndexOutOfRange {
            index: 9,
            vocab_size: 4
        }
    );
}

#[test]
fn a_position_beyond_the_text_rewinds() {
    // Saturating counters: a position near usize::MAX, as a careless caller or
    // a forged checkpoint might set, starts the text afresh instead of
    // overflowing.
    let vocab = Vocab::<8>::from_text("hello world").unwrap();
    let text = Text::new(&vocab, "hello world").unwrap();
    let mut params = Params::<f32, 8, 4>::new(&mut Rng::new(1));
    let mut trainer = Trainer::<f32, 8, 4, 3>::new();
    trainer.step(&mut params, &text).unwrap();
    trainer.set_position(usize::MAX, usize::MAX);
    assert!(trainer.step(&mut params, &text).unwrap().is_finite());
    assert_eq!(trainer.position, 3);
}
