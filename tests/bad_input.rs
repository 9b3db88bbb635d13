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
fn too_many_symbols_names_the_capacity_and_the_fix() {
    let e = Vocab::<26>::from_text("The quick brown fox jumps over the lazy dog.").unwrap_err();
    assert_eq!(e, Error::TooManySymbols { capacity: 26 });
    assert_eq!(
        message(e),
        "the text has more than 26 distinct characters, the vocabulary's capacity V: \
         choose a larger V"
    );
}

/// Every Unicode scalar value, three times over (13 MB): refused at the 257th
/// distinct character, so at once (counting them all without an allocator took
/// repeated passes: minutes for a text like this).
#[test]
fn every_unicode_character_is_refused_at_once() {
    let all: String = (0..=0x10FFFF_u32).filter_map(char::from_u32).collect();
    let text = all.repeat(3);
    assert_eq!(
        Vocab::<256>::from_text(&text).unwrap_err(),
        Error::TooManySymbols { capacity: 256 }
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
        "learning rate -0.5 is not allowed: it must be greater than 0 and finite in the \
         model's float type (about 1e-45 to 3e38 in f32)"
    );
    // Finite in f64 but not in f32 (∞ or 0 once rounded): refused by an f32
    // model, accepted by an f64 one.
    for lr in [1e39, 1e-50] {
        assert_eq!(
            adagrad.set_learning_rate(lr),
            Err(Error::BadLearningRate { value: lr })
        );
        let mut in_f64 = Adagrad::<f64, 4, 4>::ZERO;
        assert_eq!(in_f64.set_learning_rate(lr), Ok(()));
    }
    let e = adagrad.set_learning_rate(1e39).unwrap_err();
    assert!(message(e).starts_with("learning rate 1e39 is not allowed"));
    assert_eq!(adagrad.set_learning_rate(3e38), Ok(()));
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

/// Every public function that takes a slice or an index answers an empty
/// slice or an index out of range with an error or `None`, never a panic or a
/// made-up index.
#[test]
fn low_level_functions_refuse_bad_indices_and_empty_slices() {
    use min_char_rnn::activation::softmax;
    use min_char_rnn::backward::{hidden_weights_backward, softmax_loss_backward};
    use min_char_rnn::engine::activation as fast;
    use min_char_rnn::forward::{hidden_forward, loss_forward};
    use min_char_rnn::sample::{argmax, sample_index, tempered_weights};

    fn out<T>(index: usize, vocab_size: usize) -> Result<T, Error> {
        Err(Error::IndexOutOfRange { index, vocab_size })
    }
    let params = Params::<f64, 3, 2>::ZERO;

    // Empty slices: nothing to do, nothing written.
    let mut p = [7.0f64; 2];
    softmax(&[], &mut p);
    fast::softmax(&[], &mut p);
    assert_eq!(p, [7.0, 7.0]);
    // Lengths that differ: the softmax of the common part, nothing beyond it.
    softmax(&[0.0, 0.0, 5.0], &mut p[..1]);
    assert_eq!(p, [1.0, 7.0]);
    fast::softmax(&[0.0, 0.0, 5.0], &mut p[..1]);
    assert_eq!(p, [1.0, 7.0]);

    assert_eq!(loss_forward::<f64>(&[], 0), out(0, 0));
    assert_eq!(loss_forward(&[1.0f64, 2.0], 2), out(2, 2));
    assert_eq!(fast::softmax_and_loss::<f64>(&[], &mut [], 0), out(0, 0));
    assert_eq!(fast::softmax_and_loss(&[1.0f64], &mut p, 1), out(1, 1));

    let mut h = [9.0; 2];
    assert_eq!(hidden_forward(&params, 3, &[0.0; 2], &mut h), out(3, 3));
    assert_eq!(h, [9.0; 2], "unchanged on error");
    let mut dy = [9.0; 3];
    assert_eq!(
        softmax_loss_backward(&[0.5, 0.5, 0.0], 3, &mut dy),
        out(3, 3)
    );
    assert_eq!(dy, [9.0; 3], "unchanged on error");
    let mut grads = Params::<f64, 3, 2>::ZERO;
    let r = hidden_weights_backward(&[1.0; 2], usize::MAX, &[1.0; 2], &mut grads);
    assert_eq!(r, out(usize::MAX, 3));
    assert_eq!(grads, Params::ZERO, "unchanged on error");

    // The gradient check names a parameter by tensor and element.
    use min_char_rnn::gradcheck::{Window, numerical_gradient};
    let mut params = params;
    let mut cache = min_char_rnn::Cache::<f64, 3, 2, 1>::ZERO;
    let window = Window {
        vocab_size: 3,
        hprev: &[0.0; 2],
        xs: &[0],
        targets: &[1],
    };
    for (tensor, index) in [(5, 0), (0, 6), (3, 2), (usize::MAX, usize::MAX)] {
        let e = numerical_gradient(&mut params, &mut cache, window, (tensor, index), 1e-5);
        assert_eq!(e, Err(Error::NoSuchParameter { tensor, index }));
    }
    assert_eq!(
        message(Error::NoSuchParameter {
            tensor: 5,
            index: 0
        }),
        "the model has no parameter 0 in tensor 5 (tensors 0 to 4: Wxh, Whh, Why, bh, by)"
    );

    // Sampling: no weight to draw from is `None`, not index 0.
    assert_eq!(sample_index::<f64>(&[], 0.5), None);
    assert_eq!(sample_index(&[0.0f64, 0.0], 0.5), None);
    assert_eq!(sample_index(&[f64::NAN, -1.0], 0.5), None);
    assert_eq!(sample_index(&[f64::NAN, -1.0, 2.0], 0.5), Some(2));
    assert_eq!(argmax::<f32>(&[]), None);
    let mut w = [3.0; 2];
    assert_eq!(tempered_weights::<f32>(&[], 1.0, &mut w), Ok(()));
    assert_eq!(w, [3.0; 2]);
    assert!(matches!(
        tempered_weights(&[1.0f32, 2.0], 0.0, &mut w),
        Err(Error::BadTemperature { .. })
    ));
}

#[test]
fn a_stream_placed_beyond_the_text_rewinds() {
    // The streams' places are public, and a trainer to resume from may hold
    // any position: neither may overflow (a debug build would panic) or
    // read outside the text.
    use min_char_rnn::BatchTrainer;
    let text_str = "hello world, hello moon, hello sun";
    let vocab = Vocab::<16>::from_text(text_str).unwrap();
    let text = Text::new(&vocab, text_str).unwrap();
    let mut params = Params::<f32, 16, 4>::new(&mut Rng::new(1));
    let mut batched = Box::new(BatchTrainer::<f32, 16, 4, 3, 2>::ZERO);
    batched.step(&mut params, &text).unwrap();
    batched.streams[1].position = usize::MAX;
    batched.streams[0].byte = usize::MAX;
    assert!(batched.step(&mut params, &text).unwrap().is_finite());
    assert_eq!(batched.streams[1].position, 3);
    assert_eq!(batched.streams[0].position, 3);

    let mut one = Trainer::<f32, 16, 4, 3>::new();
    one.step(&mut params, &text).unwrap();
    one.set_position(usize::MAX, usize::MAX);
    batched.resume(&one, &text).unwrap();
    assert!(batched.step(&mut params, &text).unwrap().is_finite());
}
