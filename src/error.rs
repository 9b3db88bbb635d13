//! Everything a user can get wrong, as one enum with a message for each.

use core::fmt;

/// An error in what the caller gave the crate: text, indices, settings or a checkpoint.
///
/// Every variant carries what is needed to say exactly what was wrong; its
/// `Display` is a sentence a user can act on.
///
/// ```
/// use min_char_rnn::{Error, Vocab};
/// let err = Vocab::<2>::from_text("abc").unwrap_err();
/// assert_eq!(err, Error::TooManySymbols { capacity: 2 });
/// assert_eq!(
///     err.to_string(),
///     "the text has more than 2 distinct characters, the vocabulary's capacity V: \
///      choose a larger V"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Error {
    /// The text has no characters.
    EmptyText,
    /// A training text needs at least `seq_length + 1` characters (inputs and targets).
    TextTooShort {
        /// Characters in the text.
        chars: usize,
        /// Characters needed: `seq_length + 1`.
        needed: usize,
    },
    /// A text too short to give each of `B` streams a window: each stream
    /// reads `chars / B` characters and needs `seq_length + 1`.
    TextTooShortForStreams {
        /// Characters in the text.
        chars: usize,
        /// The streams `B`.
        streams: usize,
        /// Characters needed: `B · (seq_length + 1)`.
        needed: usize,
    },
    /// [`BatchTrainer::finish`](crate::BatchTrainer::finish) was called for a
    /// shard that has no gradients for this step.
    GradientsMissing {
        /// The shard, counted from 0.
        shard: usize,
    },
    /// More distinct characters than the vocabulary's capacity `V`.
    /// Reported at the (`V`+1)-th distinct character, without reading further.
    TooManySymbols {
        /// The compiled capacity `V`.
        capacity: usize,
    },
    /// A character that is not in the vocabulary.
    UnknownChar {
        /// The character.
        ch: char,
        /// Its position in the text, counted in characters from 0.
        position: usize,
    },
    /// An index that names no symbol of the vocabulary.
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// The number of symbols in the vocabulary.
        vocab_size: usize,
    },
    /// A parameter the model does not have: tensor 0..5 (in the order of
    /// `Params::tensors`), element below that tensor's length.
    NoSuchParameter {
        /// The tensor asked for.
        tensor: usize,
        /// The element asked for.
        index: usize,
    },
    /// A number of symbols in use that is 0 or more than the capacity `V`.
    VocabSizeOutOfRange {
        /// The number given.
        vocab_size: usize,
        /// The compiled capacity `V`.
        capacity: usize,
    },
    /// Training diverged: the loss of a window or one of its gradients is
    /// infinite or NaN (or the carried hidden state is). The step was
    /// refused before it changed the parameters, Adagrad's memory or the
    /// step count (the gradients and the record of the window are
    /// overwritten, as by any step).
    Diverged {
        /// The step that would have been taken, counted from 1.
        step: u64,
    },
    /// A parameter to be saved is infinite, NaN or so large that the forward
    /// pass could overflow: training has diverged (see
    /// [`save_checkpoint`](crate::save_checkpoint)). Nothing was written.
    ParametersOutOfRange {
        /// The largest magnitude a parameter may have: the largest float
        /// over 2(H + 2).
        largest: f64,
    },
    /// Sampling needs at least one character to start from.
    EmptyPrime,
    /// The temperature divides the logits, so it must be finite and greater than zero.
    BadTemperature {
        /// The value given.
        value: f64,
    },
    /// The learning rate must be finite and greater than zero.
    BadLearningRate {
        /// The value given.
        value: f64,
    },
    /// A checkpoint does not fit in the buffer it is written to.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The bytes do not start like a checkpoint of this crate.
    BadMagic,
    /// A checkpoint written by a format version this build cannot read.
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// A checkpoint made for another model shape or float type.
    ShapeMismatch {
        /// Which field: `"V"`, `"H"`, `"T"` or `"float bytes"`.
        field: &'static str,
        /// This build's value.
        expected: u32,
        /// The checkpoint's value.
        found: u32,
    },
    /// A checkpoint that ends before its last field.
    Truncated {
        /// Bytes the format needs.
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// A checkpoint whose checksum does not match its contents: it was damaged.
    ChecksumMismatch,
    /// A checkpoint whose fields are well-formed but say something impossible.
    Corrupt {
        /// What is impossible.
        what: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::EmptyText => write!(f, "the text is empty"),
            Error::TextTooShort { chars, needed } => write!(
                f,
                "the text has {chars} characters but training needs at least {needed} \
                 (seq_length inputs plus one target)"
            ),
            Error::GradientsMissing { shard } => write!(
                f,
                "shard {shard} has no gradients for this step: call BatchTrainer::gradients \
                 on every shard, then BatchTrainer::finish once"
            ),
            Error::TextTooShortForStreams {
                chars,
                streams,
                needed,
            } => write!(
                f,
                "the text has {chars} characters, too few for {streams} streams: each reads \
                 its own part of the text and needs seq_length + 1 characters, {needed} in all"
            ),
            Error::TooManySymbols { capacity } => write!(
                f,
                "the text has more than {capacity} distinct characters, the vocabulary's \
                 capacity V: choose a larger V"
            ),
            Error::UnknownChar { ch, position } => write!(
                f,
                "character {ch:?} (U+{:04X}) at position {position} is not in the vocabulary",
                ch as u32
            ),
            Error::IndexOutOfRange { index, vocab_size } => write!(
                f,
                "symbol index {index} is out of range for a vocabulary of {vocab_size}"
            ),
            Error::NoSuchParameter { tensor, index } => write!(
                f,
                "the model has no parameter {index} in tensor {tensor} (tensors 0 to 4: \
                 Wxh, Whh, Why, bh, by)"
            ),
            Error::VocabSizeOutOfRange {
                vocab_size,
                capacity,
            } => write!(
                f,
                "vocab_size {vocab_size} is not allowed: the model has room for 1 to \
                 {capacity} symbols"
            ),
            Error::Diverged { step } => write!(
                f,
                "training diverged at step {step}: the loss or a gradient is not finite (a \
                 smaller learning rate may help); the parameters are those from before this step"
            ),
            Error::ParametersOutOfRange { largest } => write!(
                f,
                "training has diverged: a parameter is not finite or beyond ±{largest:.3e}, \
                 where the forward pass could overflow (a smaller learning rate may help); \
                 this state is not saved"
            ),
            Error::EmptyPrime => write!(f, "the prime text is empty: give at least one character"),
            Error::BadTemperature { value } => write!(
                f,
                "temperature {value} is not allowed: it must be finite and greater than 0 \
                 (use argmax for the most likely character)"
            ),
            Error::BadLearningRate { value } => write!(
                f,
                "learning rate {value:?} is not allowed: it must be greater than 0 and finite \
                 in the model's float type (about 1e-45 to 3e38 in f32)"
            ),
            Error::BufferTooSmall { needed, available } => write!(
                f,
                "the buffer holds {available} bytes but the checkpoint needs {needed}"
            ),
            Error::BadMagic => write!(f, "not a min-char-rnn checkpoint (wrong magic bytes)"),
            Error::UnsupportedVersion { found, supported } => write!(
                f,
                "checkpoint format version {found} is not supported (this build reads version \
                 {supported})"
            ),
            Error::ShapeMismatch {
                field,
                expected,
                found,
            } => write!(
                f,
                "the checkpoint was made with {field} = {found} but this model has {field} = \
                 {expected}"
            ),
            Error::Truncated { needed, available } => write!(
                f,
                "the checkpoint is truncated: {available} bytes where {needed} are needed"
            ),
            Error::ChecksumMismatch => {
                write!(f, "the checkpoint is corrupted (checksum does not match)")
            }
            Error::Corrupt { what } => write!(f, "the checkpoint is corrupted: {what}"),
        }
    }
}

impl core::error::Error for Error {}
