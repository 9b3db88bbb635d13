//! # min-char-rnn
//!
//! Andrej Karpathy's [min-char-rnn] — a character-level vanilla RNN trained by
//! truncated backpropagation through time with Adagrad — in Rust that needs no
//! operating system, no allocator and no dependency but `libm`. Every equation of
//! the accompanying book lives in this crate between `// ANCHOR:` markers, so
//! the book shows the very code that runs.
//!
//! [min-char-rnn]: https://gist.github.com/karpathy/d4dee566867f8291f086
//!
//! ## Notation
//!
//! | symbol | meaning | shape |
//! |---|---|---|
//! | `V` | vocabulary capacity (at least min-char-rnn's `vocab_size`, the symbols in use) | |
//! | `H` | hidden size (`hidden_size`) | |
//! | `T` | window length (`seq_length`) | |
//! | `F` | the float type, `f32` or `f64` | |
//! | `x_t` | one-hot input at step t (stored as its index) | V |
//! | `h_t` | hidden state; `hprev` = h_{-1} | H |
//! | `y_t` | logits | V |
//! | `p_t` | softmax(y_t), the predicted next-character distribution | V |
//! | `Wxh Whh Why` | weights | H×V (stored transposed, `WxhT`), H×H, V×H |
//! | `bh by` | biases | H, V |
//!
//! ```text
//! F1  h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)      B1  dy = p_t − one_hot(target_t)
//! F2  y_t = Why h_t + by                          B2  dWhy += dy h_tᵀ;  dby += dy
//! F3  p_t = softmax(y_t)                          B3  dh = Whyᵀ dy + dhnext
//! F4  l_t = −ln p_t[target_t]                     B4  dhraw = (1 − h_t ⊙ h_t) ⊙ dh
//! F5  L = Σ_t l_t                                 B5  dbh += dhraw; dWxh += dhraw x_tᵀ;
//!                                                     dWhh += dhraw h_{t-1}ᵀ
//! O1  clip every gradient to [−5, 5]              B6  dhnext = Whhᵀ dhraw
//! O2  m += dθ²;  θ −= η dθ / √(m + 1e−8)
//! ```
//!
//! ## Example: learn "hello"
//!
//! ```
//! use min_char_rnn::{Params, Pick, Rng, Sampler, Text, Trainer, Vocab};
//!
//! let vocab = Vocab::<4>::from_text("hello")?;            // e h l o
//! let text = Text::new(&vocab, "hello")?;
//! let mut rng = Rng::new(42);
//! let mut params = Params::<f32, 4, 16>::new(&mut rng);   // V = 4, H = 16
//! let mut trainer = Trainer::<f32, 4, 16, 4>::new();      // T = 4
//! for _ in 0..300 {
//!     trainer.step(&mut params, &text)?;
//! }
//! let tail: String = Sampler::new(&params, &vocab, &mut rng, "h", Pick::Argmax)?
//!     .take(4)
//!     .collect();
//! assert_eq!(tail, "ello");
//! # Ok::<(), min_char_rnn::Error>(())
//! ```
//!
//! ## Two layers
//!
//! The **teaching layer** is the model as the book derives it, one equation
//! per function, every sum left to right, `libm`'s `exp`, `tanh` and `sqrt`:
//! [`matrix`], [`activation`], [`forward`], [`backward`] (and [`loss_fun`],
//! Karpathy's `lossFun`, which runs them), [`clip`], [`adagrad`],
//! [`sample`], [`gradcheck`]. The **[`engine`]** computes the same thing
//! shaped for the machine (tiles of sums in registers, batched and
//! transposed products, fused clipping and Adagrad, vectorisable `exp` and
//! `tanh`), and holds every `cfg` of the crate. The engine imports the
//! teaching layer, never the reverse, and `tests/engine_equals_reference.rs`
//! proves each of its functions equal to the textbook one it replaces.
//! [`Trainer::step`] trains with the engine; [`Trainer::step_reference`]
//! with the teaching layer, on the same state.
//!
//! ## The `std` feature, and identical digits
//!
//! The library needs no `std`. With the optional `std` feature (the examples
//! and tests turn it on) the engine uses two things `core` lacks on stable
//! Rust: a fused multiply-add, where the target has FMA (one rounding per
//! multiply-add instead of two), and a square root the compiler can
//! vectorise, for Adagrad where the target has no FMA
//! ([`engine::FUSED_MULTIPLY_ADD`], [`engine::ADAGRAD_DIVIDES`]). Results
//! then differ from a build without them in the last bits, and since
//! training amplifies such differences (Adagrad divides by √(Σ g² + ε)),
//! two builds part ways after some tens of steps while learning equally
//! well. For the same digits on every machine, train with
//! [`Trainer::step_reference`] (IEEE arithmetic and `libm` only, the same on
//! every target), or build the engine without `std`, or with it on targets
//! that agree on FMA (for example `-C target-feature=-fma` on a PC).
//!
//! ## Memory
//!
//! Nothing allocates; the caller owns every buffer. With P = 2·V·H + H·H + H + V
//! ([`Params::COUNT`]) and `s` = 4 bytes for f32, 8 for f64:
//!
//! | what | bytes |
//! |---|---|
//! | [`Params`] (the model) | s·P, rounded up to a multiple of 16 |
//! | [`Trainer`] (gradients, Adagrad memory, the teaching layer's cache, the engine's workspace, `hprev`) | s·(2P + T·(3H + 2V) + H·(H + V) + H) + w·(2T + 2) + 24 (w = 8 on 64-bit targets, 4 on 32-bit ones), plus padding: on x86 each of the T + 2H rows of the engine's workspace ([`engine::Row`]) rounds up to a multiple of [`engine::ROW_ALIGN`] bytes (16; 32 with AVX; 64 with AVX-512), and the parts to their alignment, less than 64 + `ROW_ALIGN` bytes; exactly [`Trainer::BYTES`] |
//! | [`Sampler`] (inference: the hidden state and logits, plus three references) | s·(H + V) + 3 pointers; each character drawn also uses 8·V bytes of stack |
//!
//! For V = 76 (`shakespeare.txt`'s symbols), H = 100, T = 25 in f32 that is
//! 101,504 bytes of parameters and 319,472 bytes of trainer (on x86-64
//! without AVX; 323,104 with AVX2). Both types have a
//! `const ZERO` and in-place initialisation, so they can live in a `static`
//! (or a `Box`) instead of a small stack.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// Only for `mul_add` and `sqrt` of `f32` and `f64`, in the engine: see
// `engine::target`. (An `extern crate` can only be written at the root.)
#[cfg(feature = "std")]
extern crate std;

// The teaching layer: the model as the book derives it, one equation at a time.
pub mod activation;
pub mod adagrad;
pub mod backward;
pub mod clip;
mod float;
pub mod forward;
pub mod gradcheck;
pub mod matrix;
mod params;
mod rng;
pub mod sample;
mod step;
mod text;
mod vocab;

// The engine: the same computation shaped for the machine, tested equal.
pub mod engine;

// Training, checkpoints and errors, for either layer.
pub mod checkpoint;
mod error;
mod train;
// Minibatches: B streams at once, by either layer.
pub mod batch;

pub use adagrad::Adagrad;
pub use batch::BatchTrainer;
pub use checkpoint::{
    CheckpointHeader, checkpoint_size, load_checkpoint, load_model, save_checkpoint,
};
pub use engine::FastFloat;
pub use error::Error;
pub use float::Float;
pub use forward::Cache;
pub use params::{Params, TENSOR_NAMES};
pub use rng::Rng;
pub use sample::{Pick, Sampler};
pub use step::loss_fun;
pub use text::Text;
pub use train::Trainer;
pub use vocab::Vocab;
