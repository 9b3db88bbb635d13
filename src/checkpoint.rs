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
//! Gradients and the forward cache are not saved: the next step recomputes them
//! from scratch, so resuming is exact (tested: N steps, save, load, M steps gives
//! the same bits as N + M steps).

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
/// [`checkpoint_size`]. Errors: [`Error::BufferTooSmall`].
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
/// vocabulary, a non-finite number).
pub fn load_checkpoint<F: Float, const V: usize, const H: usize, const T: usize>(
    bytes: &[u8],
    params: &mut Params<F, V, H>,
    trainer: &mut Trainer<F, V, H, T>,
    rng: &mut Rng,
) -> Result<Vocab<V>, Error> {
    let header = CheckpointHeader::read(bytes)?;
    for (field, expected, found) in [
        ("float bytes", F::BYTES as u32, header.float_bytes),
        ("V", V as u32, header.vocab_capacity),
        ("H", H as u32, header.hidden_size),
        ("T", T as u32, header.seq_length),
    ] {
        if expected != found {
            return Err(Error::ShapeMismatch {
                field,
                expected,
                found,
            });
        }
    }
    let size = checkpoint_size::<F, V, H, T>();
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
    let vocab = read_vocab::<V>(&mut r, header.vocab_size as usize)?;
    let floats_at = r.at;
    for _ in 0..(2 * Params::<F, V, H>::COUNT + H) {
        if !r.float::<F>().is_finite() {
            return Err(Error::Corrupt {
                what: "a parameter, Adagrad memory or hidden state is not finite",
            });
        }
    }
    if !smooth_loss.is_finite() {
        return Err(Error::Corrupt {
            what: "the smooth loss is not finite",
        });
    }
    if !(learning_rate.is_finite() && learning_rate > 0.0) {
        return Err(Error::Corrupt {
            what: "the learning rate is not a finite positive number",
        });
    }

    // Valid: now, and only now, change the caller's state.
    let mut r = Reader {
        bytes,
        at: floats_at,
    };
    for tensor in params.tensors_mut() {
        r.floats_into(tensor);
    }
    for tensor in trainer.adagrad.memory.tensors_mut() {
        r.floats_into(tensor);
    }
    r.floats_into(&mut trainer.hprev);
    trainer.adagrad.set_learning_rate(learning_rate)?;
    trainer.steps = steps;
    trainer.set_position(position as usize, byte as usize);
    trainer.smooth_loss = smooth_loss;
    rng.state = rng_state;
    Ok(vocab)
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
