//! Checkpoints: resuming is exact, and every kind of bad file is refused with
//! its own error, leaving the caller's state untouched.

use min_char_rnn::checkpoint::crc32;
use min_char_rnn::{
    CheckpointHeader, Error, Params, Pick, Rng, Sampler, Text, Trainer, Vocab, checkpoint_size,
    load_checkpoint, save_checkpoint,
};

const SOURCE: &str = "Fair is foul, and foul is fair: hover through the fog and filthy air.";
type P = Params<f32, 32, 16>;
type Tr = Trainer<f32, 32, 16, 8>;
const SIZE: usize = checkpoint_size::<f32, 32, 16, 8>();

fn bits(p: &P) -> Vec<u32> {
    p.tensors()
        .iter()
        .flat_map(|t| t.iter().map(|x| x.to_bits()))
        .collect()
}

/// Trains `steps` windows, sampling a few characters (which advances the RNG)
/// every 7 steps, as a training program would.
fn train(params: &mut P, trainer: &mut Tr, rng: &mut Rng, vocab: &Vocab<32>, steps: usize) {
    let text = Text::new(vocab, SOURCE).unwrap();
    for _ in 0..steps {
        trainer.step(params, &text).unwrap();
        if trainer.steps % 7 == 0 {
            let s = Sampler::from_state(params, vocab, rng, &trainer.hprev, 0, Pick::SAMPLE);
            s.unwrap().take(5).for_each(drop);
        }
    }
}

fn fresh() -> (P, Tr, Rng, Vocab<32>) {
    let mut rng = Rng::new(99);
    let params = P::new(&mut rng);
    (params, Tr::new(), rng, Vocab::from_text(SOURCE).unwrap())
}

fn saved_after(steps: usize) -> (Vec<u8>, P, Tr, Rng) {
    let (mut params, mut trainer, mut rng, vocab) = fresh();
    train(&mut params, &mut trainer, &mut rng, &vocab, steps);
    let mut buf = vec![0u8; SIZE];
    assert_eq!(
        save_checkpoint(&params, &trainer, &vocab, &rng, &mut buf),
        Ok(SIZE)
    );
    (buf, params, trainer, rng)
}

#[test]
fn n_steps_save_load_m_steps_equals_n_plus_m_steps() {
    let (n, m) = (23, 31);
    let (mut params, mut trainer, mut rng, vocab) = fresh();
    train(&mut params, &mut trainer, &mut rng, &vocab, n + m);

    let (buf, ..) = saved_after(n);
    let mut params2 = P::ZERO;
    let mut trainer2 = Tr::ZERO;
    let mut rng2 = Rng::new(0);
    let vocab2 = load_checkpoint(&buf, &mut params2, &mut trainer2, &mut rng2).unwrap();
    assert_eq!(vocab2, vocab);
    assert_eq!(trainer2.steps, n as u64);
    train(&mut params2, &mut trainer2, &mut rng2, &vocab2, m);

    assert_eq!(bits(&params2), bits(&params));
    assert_eq!(
        trainer2.smooth_loss.to_bits(),
        trainer.smooth_loss.to_bits()
    );
    assert_eq!(trainer2.hprev, trainer.hprev);
    assert_eq!(trainer2.position, trainer.position);
    assert_eq!(rng2, rng);
}

#[test]
fn header_tells_the_shape() {
    let (buf, ..) = saved_after(3);
    let h = CheckpointHeader::read(&buf).unwrap();
    assert_eq!(
        (
            h.float_bytes,
            h.vocab_capacity,
            h.hidden_size,
            h.seq_length,
            h.steps
        ),
        (4, 32, 16, 8, 3)
    );
    assert_eq!(
        h.vocab_size,
        Vocab::<32>::from_text(SOURCE).unwrap().len() as u32
    );
}

/// Loads `bytes` into a state that must come out unchanged, and returns the error.
fn refused(bytes: &[u8]) -> Error {
    let (mut params, mut trainer, mut rng, _) = fresh();
    let (before, before_rng) = (bits(&params), rng.clone());
    let err = load_checkpoint(bytes, &mut params, &mut trainer, &mut rng).unwrap_err();
    assert_eq!(
        bits(&params),
        before,
        "a refused checkpoint changed the parameters"
    );
    assert_eq!(rng, before_rng);
    assert_eq!(trainer.steps, 0);
    err
}

/// Rewrites the checksum so that a deliberate change passes it.
fn reseal(buf: &mut [u8]) {
    let n = buf.len() - 4;
    let crc = crc32(&buf[..n]);
    buf[n..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn wrong_magic() {
    let e = refused(b"PK\x03\x04 this is a zip file");
    assert_eq!(e, Error::BadMagic);
    assert_eq!(
        e.to_string(),
        "not a min-char-rnn checkpoint (wrong magic bytes)"
    );
}

#[test]
fn wrong_version() {
    let (mut buf, ..) = saved_after(2);
    buf[8] = 1; // version 1 stored Wxh untransposed
    let e = refused(&buf);
    assert_eq!(
        e,
        Error::UnsupportedVersion {
            found: 1,
            supported: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "checkpoint format version 1 is not supported (this build reads version 2)"
    );
}

#[test]
fn wrong_shape_or_float_type() {
    let (buf, ..) = saved_after(2);
    let mut params = Params::<f32, 32, 24>::ZERO;
    let mut trainer = Trainer::<f32, 32, 24, 8>::ZERO;
    let e = load_checkpoint(&buf, &mut params, &mut trainer, &mut Rng::new(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the checkpoint was made with H = 16 but this model has H = 24"
    );
    let mut params = Params::<f32, 32, 16>::ZERO;
    let mut trainer = Trainer::<f32, 32, 16, 25>::ZERO;
    let e = load_checkpoint(&buf, &mut params, &mut trainer, &mut Rng::new(0)).unwrap_err();
    assert_eq!(
        e,
        Error::ShapeMismatch {
            field: "T",
            expected: 25,
            found: 8
        }
    );
    let mut params = Params::<f64, 32, 16>::ZERO;
    let mut trainer = Trainer::<f64, 32, 16, 8>::ZERO;
    let e = load_checkpoint(&buf, &mut params, &mut trainer, &mut Rng::new(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the checkpoint was made with float bytes = 4 but this model has float bytes = 8"
    );
}

#[test]
fn truncated_and_trailing_bytes() {
    let (buf, ..) = saved_after(2);
    let e = refused(&buf[..SIZE - 1]);
    assert_eq!(
        e,
        Error::Truncated {
            needed: SIZE,
            available: SIZE - 1
        }
    );
    assert!(matches!(refused(&buf[..20]), Error::Truncated { .. }));
    let mut longer = buf.clone();
    longer.push(0);
    assert_eq!(
        refused(&longer).to_string(),
        "the checkpoint is corrupted: there are bytes after the checksum"
    );
}

#[test]
fn any_flipped_bit_is_caught() {
    let (buf, ..) = saved_after(2);
    for at in [100, SIZE / 2, SIZE - 5, SIZE - 1] {
        let mut bad = buf.clone();
        bad[at] ^= 0x10;
        assert_eq!(refused(&bad), Error::ChecksumMismatch, "flip at {at}");
    }
    assert_eq!(
        Error::ChecksumMismatch.to_string(),
        "the checkpoint is corrupted (checksum does not match)"
    );
}

#[test]
fn impossible_contents_with_a_valid_checksum() {
    let (buf, ..) = saved_after(2);
    let vocab_at = 80;
    // Two vocabulary entries swapped: not sorted.
    let mut bad = buf.clone();
    bad.copy_within(vocab_at..vocab_at + 4, vocab_at + 4);
    reseal(&mut bad);
    assert_eq!(
        refused(&bad).to_string(),
        "the checkpoint is corrupted: the vocabulary is not sorted and distinct"
    );
    // A surrogate code point is not a char.
    let mut bad = buf.clone();
    bad[vocab_at..vocab_at + 4].copy_from_slice(&0xD800u32.to_le_bytes());
    reseal(&mut bad);
    assert!(matches!(refused(&bad), Error::Corrupt { .. }));
    // A NaN weight.
    let mut bad = buf.clone();
    let first_weight = vocab_at + 4 * 32;
    bad[first_weight..first_weight + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    reseal(&mut bad);
    assert_eq!(
        refused(&bad).to_string(),
        "the checkpoint is corrupted: a parameter is not finite"
    );
}

#[test]
fn buffer_too_small_to_save() {
    let (params, trainer, rng, vocab) = fresh();
    let mut small = vec![0u8; SIZE - 1];
    let e = save_checkpoint(&params, &trainer, &vocab, &rng, &mut small).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "the buffer holds {} bytes but the checkpoint needs {SIZE}",
            SIZE - 1
        )
    );
}

#[test]
fn a_state_the_loader_would_refuse_is_not_saved() {
    // Parameters past the loader's bound (the largest f32 / (2(H + 2)))
    // come from a diverged run: saving them would make a file no one can
    // load, so the save refuses and writes nothing.
    let (mut params, trainer, rng, vocab) = fresh();
    let largest = f32::MAX as f64 / (2.0 * (16.0 + 2.0));
    params.by[3] = (largest * 1.01) as f32;
    let mut buf = vec![7u8; SIZE];
    assert_eq!(
        save_checkpoint(&params, &trainer, &vocab, &rng, &mut buf),
        Err(Error::ParametersOutOfRange { largest })
    );
    assert!(buf.iter().all(|&b| b == 7), "nothing written");
    params.by[3] = f32::NAN;
    assert!(save_checkpoint(&params, &trainer, &vocab, &rng, &mut buf).is_err());
    // Just inside the bound: saved, and it loads.
    params.by[3] = (largest * 0.99) as f32;
    assert_eq!(
        save_checkpoint(&params, &trainer, &vocab, &rng, &mut buf),
        Ok(SIZE)
    );
    let (mut p2, mut t2, mut r2, _) = fresh();
    load_checkpoint(&buf, &mut p2, &mut t2, &mut r2).unwrap();
    assert_eq!(p2.by[3], params.by[3]);
}
