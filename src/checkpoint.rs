//! Saving and resuming training: everything that determines the future of a run,
//! in a caller-provided byte buffer, versioned, little-endian and checksummed.
//!
//! Layout of format version 2 (`s` = 4 for f32, 8 for f64; P = [`Params::COUNT`]):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `b"MCRNNCKP"` |
//! | 4 | format version, 2 |
//! | 4 × 4 | float bytes `s`, `V`, `H`, `T` (u32) |
//! | 4 | symbols in the vocabulary, 1..=V (u32) |
//! | 8 × 4 | steps, position (chars), position (bytes), RNG state (u64) |
//! | 8 × 2 | learning rate, smooth loss (f64) |
//! | 4 × V | the vocabulary's characters, sorted, zero-padded (u32) |
//! | s × P | parameters `WxhT Whh Why bh by`, row-major |
//! | s × P | Adagrad memory, same order |
//! | s × H | `hprev` |
//! | 4 | CRC-32 (IEEE) of everything before it |
//!
//! [`load_model`] reads the parameters alone, for inference without a
//! [`Trainer`] (on a microcontroller, say).
//!
//! Gradients and the forward cache are not saved: the next step recomputes them
//! from scratch, so resuming is exact (tested: N steps, save, load, M steps gives
//! the same bits as N + M steps).
//!
//! A checksum proves that the bytes are the ones written, not that what was
//! written is a training state. [`load_checkpoint`] also checks what the
//! numbers mean, every invariant training keeps (`tests/checkpoint_forgery.rs`
//! breaks each in turn):
//!
//! | field | invariant |
//! |---|---|
//! | steps | at most 2⁵³, far from overflow (a million steps a second would take 285 years) |
//! | position | at most steps × T: each step reads T characters, and a rewind starts again from 0 |
//! | byte offset | between 1 and 4 bytes per character of the position (UTF-8) |
//! | learning rate | finite and positive, also in the model's float type |
//! | smooth loss | finite and not negative (a loss is −ln p ≥ 0) |
//! | parameters | finite, and at most the largest float / (2(H + 2)), so that no pre-activation and no difference of logits overflows |
//! | Adagrad memory | finite, not negative, and at most 25 per step trained: a sum of squared gradients clipped to ±5 (with the rounding of that many additions) |
//! | `hprev` | within [−1, 1], the range of tanh |
//! | RNG state | any 64 bits: every state of SplitMix64 is valid |
//!
//! The parameters have no tighter bound: Adagrad moves each by at most η
//! per step, but η may change between saves, and a bound that no overflow can
//! cross within a whole window of backpropagation (|W| ≤ 0.3 for H = 100,
//! T = 25 in f32) would refuse real models. What keeps a bad model from
//! spreading NaN is training itself: a step whose loss or one of whose
//! gradients is not finite stops with [`Error::Diverged`] before it changes
//! anything.
//!
//! [`save_checkpoint`] checks the parameters against the same bound, so that
//! a run whose parameters have grown past it (a learning rate far too large
//! can get there in one step with every loss still finite) is told so with
//! [`Error::ParametersOutOfRange`] instead of writing a file that
//! [`load_checkpoint`] would refuse.

use crate::adagrad::learning_rate_fits;
use crate::error::Error;
use crate::float::Float;
use crate::params::Params;
use crate::rng::Rng;
use crate::train::Trainer;
use crate::vocab::Vocab;

/// The first eight bytes of every checkpoint.
pub const MAGIC: [u8; 8] = *b"MCRNNCKP";
/// The format version this build writes and reads.
pub const VERSION: u32 = 2;
/// Bytes before the vocabulary.
const HEADER: usize = 8 + 4 + 4 * 4 + 4 + 8 * 4 + 8 * 2;
/// The largest step count a checkpoint may hold: 2⁵³, beyond which an `f64`
/// no longer counts every step, and far from the `u64` limit.
pub const MAX_STEPS: u64 = 1 << 53;

/// The size in bytes of a checkpoint of a `Trainer<F, V, H, T>`.
pub const fn checkpoint_size<F: Float, const V: usize, const H: usize, const T: usize>() -> usize {
    HEADER + 4 * V + F::BYTES * (2 * Params::<F, V, H>::COUNT + H) + 4
}

/// What a checkpoint's header says: enough to choose the right model shape
/// before loading it (see [`CheckpointHeader::read`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointHeader {
    /// 4 (f32) or 8 (f64).
    pub float_bytes: u32,
    /// Vocabulary capacity.
    pub vocab_capacity: u32,
    /// Hidden size.
    pub hidden_size: u32,
    /// Window length.
    pub seq_length: u32,
    /// Symbols actually in the vocabulary.
    pub vocab_size: u32,
    /// Windows trained.
    pub steps: u64,
}

impl CheckpointHeader {
    /// Reads the header. Errors: [`Error::BadMagic`], [`Error::Truncated`],
    /// [`Error::UnsupportedVersion`]. The rest is checked by [`load_checkpoint`].
    pub fn read(bytes: &[u8]) -> Result<Self, Error> {
        let n = MAGIC.len().min(bytes.len());
        if bytes[..n] != MAGIC[..n] {
            return Err(Error::BadMagic);
        }
        if bytes.len() < HEADER {
            return Err(Error::Truncated {
                needed: HEADER,
                available: bytes.len(),
            });
        }
        let mut r = Reader { bytes, at: 8 };
        let version = r.u32();
        if version != VERSION {
            return Err(Error::UnsupportedVersion {
                found: version,
                supported: VERSION,
            });
        }
        Ok(CheckpointHeader {
            float_bytes: r.u32(),
            vocab_capacity: r.u32(),
            hidden_size: r.u32(),
            seq_length: r.u32(),
            vocab_size: r.u32(),
            steps: r.u64(),
        })
    }
}

/// Writes a checkpoint of a training run into `out` and returns its length,
/// [`checkpoint_size`]. Errors: [`Error::BufferTooSmall`];
/// [`Error::ParametersOutOfRange`] if a parameter is not finite or beyond
/// the bound [`load_checkpoint`] checks (training has diverged), in which
/// case nothing is written.
pub fn save_checkpoint<F: Float, const V: usize, const H: usize, const T: usize>(
    params: &Params<F, V, H>,
    trainer: &Trainer<F, V, H, T>,
    vocab: &Vocab<V>,
    rng: &Rng,
    out: &mut [u8],
) -> Result<usize, Error> {
    let size = checkpoint_size::<F, V, H, T>();
    if out.len() < size {
        return Err(Error::BufferTooSmall {
            needed: size,
            available: out.len(),
        });
    }
    let largest = largest_parameter::<F, H>();
    let tensors = params.tensors();
    if !tensors
        .into_iter()
        .flatten()
        .all(|&theta| parameter_fits(theta, largest))
    {
        return Err(Error::ParametersOutOfRange { largest });
    }
    let mut w = Writer { out, at: 0 };
    w.bytes(&MAGIC);
    for x in [VERSION, F::BYTES as u32, V as u32, H as u32, T as u32] {
        w.u32(x);
    }
    w.u32(vocab.len() as u32);
    w.u64(trainer.steps);
    w.u64(trainer.position as u64);
    w.u64(trainer.byte_position() as u64);
    w.u64(rng.state);
    w.f64(trainer.adagrad.learning_rate());
    w.f64(trainer.smooth_loss);
    for i in 0..V {
        w.u32(vocab.symbols().get(i).map_or(0, |&c| c as u32));
    }
    for tensor in params
        .tensors()
        .into_iter()
        .chain(trainer.adagrad.memory.tensors())
    {
        w.floats(tensor);
    }
    w.floats(&trainer.hprev);
    let crc = crc32(&w.out[..w.at]);
    w.u32(crc);
    debug_assert_eq!(w.at, size);
    Ok(size)
}

/// Restores a training run from a checkpoint made by [`save_checkpoint`] for the
/// same `F, V, H, T`: sets `params`, `trainer` (Adagrad memory, learning rate,
/// `hprev`, position, steps, smooth loss) and `rng`, and returns the vocabulary.
///
/// Nothing is changed unless the whole checkpoint is valid. Errors:
/// [`Error::BadMagic`], [`Error::UnsupportedVersion`], [`Error::ShapeMismatch`]
/// (another float type, V, H or T), [`Error::Truncated`],
/// [`Error::ChecksumMismatch`], [`Error::Corrupt`] (trailing bytes, an invalid
/// vocabulary, or a broken invariant of the training state: see the
/// [module](self)'s table; the message names the field).
pub fn load_checkpoint<F: Float, const V: usize, const H: usize, const T: usize>(
    bytes: &[u8],
    params: &mut Params<F, V, H>,
    trainer: &mut Trainer<F, V, H, T>,
    rng: &mut Rng,
) -> Result<Vocab<V>, Error> {
    let c = check::<F, V, H>(bytes, Some(T))?;
    // Valid: now, and only now, change the caller's state.
    let mut r = Reader {
        bytes,
        at: c.floats_at,
    };
    for tensor in params.tensors_mut() {
        r.floats_into(tensor);
    }
    for tensor in trainer.adagrad.memory.tensors_mut() {
        r.floats_into(tensor);
    }
    r.floats_into(&mut trainer.hprev);
    trainer.adagrad.set_learning_rate(c.learning_rate)?;
    trainer.steps = c.steps;
    trainer.set_position(c.position as usize, c.byte as usize);
    trainer.smooth_loss = c.smooth_loss;
    rng.state = c.rng_state;
    Ok(c.vocab)
}

/// Reads the model alone from a checkpoint, for inference: the parameters
/// into `params`, and returns the vocabulary and the hidden state training
/// ended in (a good state to start sampling from; see
/// [`Sampler::primed`](crate::Sampler::primed)). No [`Trainer`] is needed,
/// and the checkpoint's window length T may be any.
///
/// The checkpoint is checked exactly as by [`load_checkpoint`], and `params`
/// is changed only if it is valid. Errors: as [`load_checkpoint`].
///
/// ```
/// use min_char_rnn::{Params, Rng, Text, Trainer, Vocab, checkpoint_size};
/// use min_char_rnn::{load_model, save_checkpoint};
/// let vocab = Vocab::<4>::from_text("hello")?;
/// let (mut params, mut trainer) = (Params::<f32, 4, 8>::new(&mut Rng::new(1)), Trainer::<f32, 4, 8, 4>::new());
/// trainer.step(&mut params, &Text::new(&vocab, "hello")?)?;
/// let mut bytes = [0u8; checkpoint_size::<f32, 4, 8, 4>()];
/// save_checkpoint(&params, &trainer, &vocab, &Rng::new(2), &mut bytes)?;
///
/// let mut model = Params::<f32, 4, 8>::ZERO;
/// let (loaded, hprev) = load_model(&bytes, &mut model)?;
/// assert_eq!((model, loaded, hprev), (params, vocab, trainer.hprev));
/// # Ok::<(), min_char_rnn::Error>(())
/// ```
pub fn load_model<F: Float, const V: usize, const H: usize>(
    bytes: &[u8],
    params: &mut Params<F, V, H>,
) -> Result<(Vocab<V>, [F; H]), Error> {
    let c = check::<F, V, H>(bytes, None)?;
    let mut r = Reader {
        bytes,
        at: c.floats_at,
    };
    for tensor in params.tensors_mut() {
        r.floats_into(tensor);
    }
    r.at += F::BYTES * Params::<F, V, H>::COUNT; // the Adagrad memory
    let mut hprev = [F::ZERO; H];
    r.floats_into(&mut hprev);
    Ok((c.vocab, hprev))
}

/// What [`check`] found in a valid checkpoint, besides its floats.
struct Checked<const V: usize> {
    vocab: Vocab<V>,
    /// Where the parameters start.
    floats_at: usize,
    steps: u64,
    position: u64,
    byte: u64,
    rng_state: u64,
    learning_rate: f64,
    smooth_loss: f64,
}

/// Every check of [`load_checkpoint`], for a model of `F, V, H` and a window
/// of `seq_length` (or any, for [`load_model`]).
fn check<F: Float, const V: usize, const H: usize>(
    bytes: &[u8],
    seq_length: Option<usize>,
) -> Result<Checked<V>, Error> {
    let header = CheckpointHeader::read(bytes)?;
    let t = seq_length.map_or(header.seq_length, |t| t as u32);
    for (field, expected, found) in [
        ("float bytes", F::BYTES as u32, header.float_bytes),
        ("V", V as u32, header.vocab_capacity),
        ("H", H as u32, header.hidden_size),
        ("T", t, header.seq_length),
    ] {
        if expected != found {
            return Err(Error::ShapeMismatch {
                field,
                expected,
                found,
            });
        }
    }
    let size = checkpoint_size::<F, V, H, 1>(); // the window length takes no bytes
    if bytes.len() < size {
        return Err(Error::Truncated {
            needed: size,
            available: bytes.len(),
        });
    }
    if bytes.len() > size {
        return Err(Error::Corrupt {
            what: "there are bytes after the checksum",
        });
    }
    let stored_crc = Reader {
        bytes,
        at: size - 4,
    }
    .u32();
    if crc32(&bytes[..size - 4]) != stored_crc {
        return Err(Error::ChecksumMismatch);
    }

    // The bytes are what was written; now check that what was written is sane.
    let mut r = Reader {
        bytes,
        at: HEADER - 8 * 6,
    };
    let (steps, position, byte, rng_state) = (r.u64(), r.u64(), r.u64(), r.u64());
    let (learning_rate, smooth_loss) = (r.f64(), r.f64());
    check_counters(steps, position, byte, u64::from(t))?;
    let corrupt = |what| Err(Error::Corrupt { what });
    if !learning_rate_fits::<F>(learning_rate) {
        return corrupt("the learning rate is not a finite positive number in this float type");
    }
    if !(smooth_loss.is_finite() && smooth_loss >= 0.0) {
        return corrupt("the smooth loss is negative or not finite");
    }
    let vocab = read_vocab::<V>(&mut r, header.vocab_size as usize)?;
    let floats_at = r.at;
    let count = Params::<F, V, H>::COUNT;
    let largest = largest_parameter::<F, H>();
    for _ in 0..count {
        let theta = r.float::<F>();
        if !theta.is_finite() {
            return corrupt("a parameter is not finite");
        }
        if !parameter_fits(theta, largest) {
            return corrupt("a parameter is so large that the forward pass would overflow");
        }
    }
    // Each step adds at most 5² = 25 to an element's memory; the sum of that
    // many terms may round up by up to steps·ε of itself.
    let epsilon = if F::BYTES == 4 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    };
    let most = 25.0 * steps as f64 * (1.0 + steps as f64 * epsilon);
    for _ in 0..count {
        let m = r.float::<F>().to_f64();
        if !(m.is_finite() && m >= 0.0) {
            return corrupt("the Adagrad memory holds a negative or non-finite number");
        }
        if m > most {
            return corrupt(
                "the Adagrad memory is larger than the steps trained allow (at most 25 a \
                 step: gradients are clipped to ±5)",
            );
        }
    }
    for _ in 0..H {
        let h = r.float::<F>().to_f64();
        if !(-1.0..=1.0).contains(&h) {
            return corrupt("the hidden state is outside tanh's range [−1, 1] or not finite");
        }
    }
    Ok(Checked {
        vocab,
        floats_at,
        steps,
        position,
        byte,
        rng_state,
        learning_rate,
        smooth_loss,
    })
}

/// The largest magnitude a saved parameter may have: the largest float over
/// 2(H + 2). The forward pass adds up to H + 2 products of a parameter and a
/// number in [−1, 1], and softmax subtracts two logits: within this bound
/// none of that overflows.
fn largest_parameter<F: Float, const H: usize>() -> f64 {
    let float_max = if F::BYTES == 4 {
        f32::MAX as f64
    } else {
        f64::MAX
    };
    float_max / (2.0 * (H as f64 + 2.0))
}

/// Whether `theta` is finite and within `largest` (from [`largest_parameter`]).
fn parameter_fits<F: Float>(theta: F, largest: f64) -> bool {
    theta.is_finite() && theta.to_f64().abs() <= largest
}

/// The counters: few enough steps to be far from overflow, a position that
/// the steps could have reached, and a byte offset of 1 to 4 bytes a
/// character.
fn check_counters(steps: u64, position: u64, byte: u64, t: u64) -> Result<(), Error> {
    let corrupt = |what| Err(Error::Corrupt { what });
    if steps > MAX_STEPS {
        return corrupt("the step count is beyond 2^53, more than any run could train");
    }
    if position > steps.saturating_mul(t) {
        return corrupt("the position is beyond the characters the steps trained have read");
    }
    if byte < position || byte > position.saturating_mul(4) {
        return corrupt("the byte offset does not match the position (1 to 4 bytes a character)");
    }
    if usize::try_from(byte).is_err() {
        return corrupt("the byte offset does not fit this machine's memory");
    }
    Ok(())
}

fn read_vocab<const V: usize>(r: &mut Reader<'_>, len: usize) -> Result<Vocab<V>, Error> {
    if len == 0 || len > V {
        return Err(Error::Corrupt {
            what: "the vocabulary size is 0 or larger than V",
        });
    }
    let mut chars = ['\0'; V];
    for i in 0..V {
        let code = r.u32();
        if i >= len {
            if code != 0 {
                return Err(Error::Corrupt {
                    what: "the vocabulary's unused slots are not zero",
                });
            }
            continue;
        }
        chars[i] = char::from_u32(code).ok_or(Error::Corrupt {
            what: "the vocabulary holds a number that is not a character",
        })?;
        if i > 0 && chars[i - 1] >= chars[i] {
            return Err(Error::Corrupt {
                what: "the vocabulary is not sorted and distinct",
            });
        }
    }
    Vocab::from_symbols(&chars[..len])
}

struct Writer<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        self.out[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }
    fn u32(&mut self, x: u32) {
        self.bytes(&x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.bytes(&x.to_le_bytes());
    }
    fn f64(&mut self, x: f64) {
        self.bytes(&x.to_le_bytes());
    }
    fn floats<F: Float>(&mut self, xs: &[F]) {
        for &x in xs {
            x.write_le(&mut self.out[self.at..]);
            self.at += F::BYTES;
        }
    }
}

/// Reads fields at known offsets of a buffer whose length was checked first.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.bytes[self.at..self.at + N]);
        self.at += N;
        a
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }
    fn f64(&mut self) -> f64 {
        f64::from_le_bytes(self.array())
    }
    fn float<F: Float>(&mut self) -> F {
        let x = F::read_le(&self.bytes[self.at..]);
        self.at += F::BYTES;
        x
    }
    fn floats_into<F: Float>(&mut self, xs: &mut [F]) {
        for x in xs {
            *x = self.float();
        }
    }
}

/// CRC-32 (IEEE 802.3, as in zip and PNG): detects every error burst of up to
/// 32 bits and all but 1 in 2³² of the rest.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &b in bytes {
        crc = TABLE[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926); // the standard check value
    }

    #[test]
    fn size_matches_layout() {
        assert_eq!(
            checkpoint_size::<f32, 4, 8, 4>(),
            80 + 4 * 4 + 4 * (2 * 140 + 8) + 4
        );
    }
}
