//! The training loop: windows over the text, `hprev` carried between them,
//! BPTT, clipping, Adagrad, and the smoothed loss.
//!
//! [`Trainer`] drives either layer: [`Trainer::step`] runs the
//! [`engine`](crate::engine), [`Trainer::step_reference`] the teaching layer
//! ([`loss_fun`], [`clip`], [`Adagrad::update`]), on the same state.

use crate::adagrad::Adagrad;
use crate::clip::{CLIP, clip};
use crate::engine::{self, FastFloat, Workspace};
use crate::error::Error;
use crate::float::Float;
use crate::forward::Cache;
use crate::matrix::Vector;
use crate::params::Params;
use crate::step::loss_fun;
use crate::text::Text;

/// Everything training needs besides the parameters: gradients, Adagrad memory,
/// the forward cache, the carried hidden state and the position in the text.
///
/// `V` = vocabulary capacity, `H` = hidden size, `T` = `seq_length`, the window.
/// Memory, in floats of `F`: 2·P (gradients and Adagrad memory, P =
/// [`Params::COUNT`]) + T·(H + V) (the teaching layer's cache) + T·(2H + V) +
/// H·(H + V) (the engine's workspace) + H (`hprev`), plus 2T indices and a
/// few counters; [`Trainer::BYTES`] is the exact figure. Like [`Params`], it has a
/// `const` [`Trainer::ZERO`] so it can live in a `static`, and resets in place.
///
/// ```
/// use min_char_rnn::{Params, Rng, Text, Trainer, Vocab};
/// let vocab = Vocab::<4>::from_text("hello")?;
/// let text = Text::new(&vocab, "hello")?;
/// let mut params = Params::<f32, 4, 8>::new(&mut Rng::new(1));
/// let mut trainer = Trainer::<f32, 4, 8, 4>::new();
/// let first = trainer.step(&mut params, &text)?;
/// for _ in 0..100 {
///     trainer.step(&mut params, &text)?;
/// }
/// assert!(trainer.step(&mut params, &text)? < first);
/// # Ok::<(), min_char_rnn::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Trainer<F, const V: usize, const H: usize, const T: usize> {
    /// The gradients of the last window (clipped), same shapes as the parameters.
    pub grads: Params<F, V, H>,
    /// The optimiser: learning rate and memory.
    pub adagrad: Adagrad<F, V, H>,
    /// The teaching layer's record of the last window run by
    /// [`Trainer::step_reference`].
    pub cache: Cache<F, V, H, T>,
    /// The engine's record of the last window run by [`Trainer::step`], and
    /// its scratch space.
    pub work: Workspace<F, V, H, T>,
    /// h_{-1} of the next window: the last hidden state of the previous one.
    pub hprev: Vector<F, H>,
    /// Position in the text, in characters: the next window starts here (`p`).
    pub position: usize,
    /// The same position in bytes.
    byte: usize,
    /// Windows trained so far (`n`).
    pub steps: u64,
    /// The smoothed loss per window: 0.999·s + 0.001·loss after each window,
    /// starting at T·ln(vocab_size), the loss of a model that guesses
    /// uniformly. Kept in `f64` whatever `F` is: in f32, 0.999 + 0.001 is not
    /// 1, and the average would drift.
    pub smooth_loss: f64,
}

impl<F: Float, const V: usize, const H: usize, const T: usize> Trainer<F, V, H, T> {
    /// A trainer at step 0 with learning rate 0.1: a `const`, for a `static`.
    pub const ZERO: Self = Trainer {
        grads: Params::ZERO,
        adagrad: Adagrad::ZERO,
        cache: Cache::ZERO,
        work: Workspace::ZERO,
        hprev: [F::ZERO; H],
        position: 0,
        byte: 0,
        steps: 0,
        smooth_loss: 0.0,
    };

    /// `size_of::<Self>()`: the bytes this trainer occupies wherever it lives.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// A trainer at step 0, by value (use [`Trainer::ZERO`] and [`Trainer::reset`]
    /// where the stack is small).
    pub fn new() -> Self {
        const {
            assert!(
                T > 0 && V > 0,
                "seq_length T and vocabulary V must be at least 1"
            )
        };
        Self::ZERO
    }

    /// Back to step 0, in place: Adagrad memory, `hprev`, position and counters
    /// cleared. The learning rate is kept.
    pub fn reset(&mut self) {
        self.grads.fill_zero();
        self.adagrad.memory.fill_zero();
        self.hprev.fill(F::ZERO);
        self.position = 0;
        self.byte = 0;
        self.steps = 0;
        self.smooth_loss = 0.0;
    }

    /// The byte offset matching [`Trainer::position`] (for checkpoints).
    pub fn byte_position(&self) -> usize {
        self.byte
    }

    /// Restores a position saved from [`Trainer::position`] and
    /// [`Trainer::byte_position`]. A position that does not fit the text is
    /// harmless: the next step starts again from the beginning.
    pub fn set_position(&mut self, position: usize, byte: usize) {
        self.position = position;
        self.byte = byte;
    }

    /// [`Trainer::step`] by the teaching layer: [`Trainer::train_window_reference`]
    /// instead of [`Trainer::train_window`]. The same state and the same
    /// results up to rounding (tested), for stepping through in a debugger,
    /// or for a microcontroller that would rather save flash than time.
    ///
    /// Errors: as [`Trainer::step`].
    pub fn step_reference(
        &mut self,
        params: &mut Params<F, V, H>,
        text: &Text<'_, V>,
    ) -> Result<F, Error> {
        self.next_window(params, text, Self::train_window_reference)
    }

    // ANCHOR: next_window
    /// The window logic of [`Trainer::step`], training with `train`.
    fn next_window(
        &mut self,
        params: &mut Params<F, V, H>,
        text: &Text<'_, V>,
        train: impl FnOnce(
            &mut Self,
            &mut Params<F, V, H>,
            usize,
            &[usize; T],
            &[usize; T],
        ) -> Result<F, Error>,
    ) -> Result<F, Error> {
        let too_short = Error::TextTooShort {
            chars: text.len(),
            needed: T + 1,
        };
        if text.len() < T + 1 {
            return Err(too_short);
        }
        let vocab_size = text.vocab().len();
        if self.steps == 0 {
            self.smooth_loss = libm::log(vocab_size as f64) * T as f64;
        }
        if self.position.saturating_add(T + 1) >= text.len() || self.steps == 0 {
            self.rewind();
        }
        let (mut xs, mut targets) = ([0; T], [0; T]);
        let next = match text.window(self.byte, &mut xs, &mut targets) {
            Some(next) => next,
            None => {
                // A position saved against another text: start this one afresh.
                self.rewind();
                text.window(0, &mut xs, &mut targets).ok_or(too_short)?
            }
        };
        let loss = train(self, params, vocab_size, &xs, &targets)?;
        self.smooth_loss = self.smooth_loss * 0.999 + loss.to_f64() * 0.001;
        self.position += T;
        self.byte = next;
        Ok(loss)
    }
    // ANCHOR_END: next_window

    fn rewind(&mut self) {
        self.hprev.fill(F::ZERO);
        self.position = 0;
        self.byte = 0;
    }

    // ANCHOR: train_window_reference
    /// [`Trainer::train_window`] by the teaching layer: Karpathy's
    /// [`loss_fun`], [`clip`] (O1), [`Adagrad::update`] (O2), and the last
    /// hidden state carried into `hprev`.
    ///
    /// Shapes and errors: as [`Trainer::train_window`].
    pub fn train_window_reference(
        &mut self,
        params: &mut Params<F, V, H>,
        vocab_size: usize,
        xs: &[usize; T],
        targets: &[usize; T],
    ) -> Result<F, Error> {
        let (cache, grads) = (&mut self.cache, &mut self.grads);
        let loss = loss_fun(params, vocab_size, xs, targets, &self.hprev, cache, grads)?;
        check_step(loss, grads, &self.hprev, self.steps)?; // nothing changed yet if diverged
        clip(grads, F::from_f64(CLIP)); //     O1: every gradient into [−5, 5]
        self.adagrad.update(params, grads); // O2: one Adagrad step
        self.hprev = cache.hs[T - 1]; //       carried into the next window
        self.steps = self.steps.saturating_add(1);
        Ok(loss)
    }
    // ANCHOR_END: train_window_reference
}

/// Training by the [`engine`], for the float types it runs on (`f32`, `f64`).
impl<F: FastFloat, const V: usize, const H: usize, const T: usize> Trainer<F, V, H, T> {
    // ANCHOR: step
    /// One step of min-char-rnn's loop, run by the [`engine`]: trains on the
    /// next window of `text` and returns its loss (summed over the `T`
    /// characters, in nats).
    ///
    /// As in the original: at step 0, or when fewer than `T + 2` characters
    /// remain, go back to the start with `hprev = 0`; read `T` inputs and the `T`
    /// targets one character later; [`Trainer::train_window`]; move on `T`
    /// characters; update the smoothed loss.
    ///
    /// Errors: [`Error::TextTooShort`] if the text has fewer than `T + 1` characters.
    pub fn step(&mut self, params: &mut Params<F, V, H>, text: &Text<'_, V>) -> Result<F, Error> {
        self.next_window(params, text, Self::train_window)
    }
    // ANCHOR_END: step

    // ANCHOR: train_window
    /// Trains on one window given as symbol indices, with the [`engine`]:
    /// forward, backward, clip and Adagrad, then carry the last hidden state
    /// into `hprev`. Returns the loss `L = Σ_t −ln p_t[targets[t]]` of the
    /// parameters *before* the update.
    ///
    /// Shapes: `xs`, `targets`: T indices in 0..vocab_size; `vocab_size` ≤ V
    /// is the number of symbols in use ([`Vocab::len`](crate::Vocab::len)).
    /// Errors: [`Error::VocabSizeOutOfRange`], [`Error::IndexOutOfRange`];
    /// [`Error::Diverged`] if the loss or a gradient is infinite or NaN
    /// (training has diverged), in which case the parameters, Adagrad's
    /// memory, `hprev` and the step count are left as they were.
    pub fn train_window(
        &mut self,
        params: &mut Params<F, V, H>,
        vocab_size: usize,
        xs: &[usize; T],
        targets: &[usize; T],
    ) -> Result<F, Error> {
        let (work, hprev) = (&mut self.work, &self.hprev);
        let loss = engine::pass::forward(params, vocab_size, xs, targets, hprev, work)?;
        engine::pass::backward(params, vocab_size, work, targets, hprev, &mut self.grads)?;
        check_step(loss, &self.grads, &self.hprev, self.steps)?;
        let limit = F::from_f64(CLIP);
        engine::update::clip_and_update(&mut self.adagrad, params, &mut self.grads, limit, xs); // O1, O2
        self.hprev = self.work.hs[T - 1].0;
        self.steps = self.steps.saturating_add(1);
        Ok(loss)
    }
    // ANCHOR_END: train_window
}

/// [`Error::Diverged`] unless the loss, the bias gradients and `hprev` are
/// finite: the guard that stops a diverged run before its NaN reaches the
/// parameters. `steps` are those trained so far.
///
/// The bias gradients `dbh` = Σ_t dhraw_t and `dby` = Σ_t dy_t sum every
/// value that the weight gradients multiply by an h_t (|h_t| ≤ 1, `hprev`
/// included once it is checked) or by a one-hot x, so a NaN or an overflow
/// anywhere in the gradients shows in them; clipping would keep a NaN, and
/// Adagrad would spread it to its parameter. H + V + H values: checking all
/// 2VH + H² + H + V gradients instead cost 1.5% of the training step.
pub(crate) fn check_step<F: Float, const V: usize, const H: usize>(
    loss: F,
    grads: &Params<F, V, H>,
    hprev: &[F; H],
    steps: u64,
) -> Result<(), Error> {
    let checked = grads.bh.iter().chain(&grads.by).chain(hprev);
    if loss.is_finite() && checked.into_iter().all(|g| g.is_finite()) {
        Ok(())
    } else {
        Err(Error::Diverged {
            step: steps.saturating_add(1),
        })
    }
}

impl<F: Float, const V: usize, const H: usize, const T: usize> Default for Trainer<F, V, H, T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::vocab::Vocab;

    #[test]
    fn window_pointer_and_reset_follow_min_char_rnn() {
        // 12 chars, T = 3: windows at p = 0, 3, 6; at p = 9, 9+3+1 >= 12 resets.
        let vocab = Vocab::<12>::from_text("abcdefghijkl").unwrap();
        let text = Text::new(&vocab, "abcdefghijkl").unwrap();
        let mut params = Params::<f64, 12, 4>::new(&mut Rng::new(1));
        let mut tr = Trainer::<f64, 12, 4, 3>::new();
        let mut starts = [0; 5];
        for s in &mut starts {
            tr.step(&mut params, &text).unwrap();
            *s = tr.work.xs[0];
        }
        assert_eq!(starts, [0, 3, 6, 0, 3]);
        assert_eq!(tr.steps, 5);
    }

    #[test]
    fn hprev_is_carried_then_reset() {
        let vocab = Vocab::<8>::from_text("abcdefgh").unwrap();
        let text = Text::new(&vocab, "abcdefgh").unwrap();
        let mut params = Params::<f64, 8, 4>::new(&mut Rng::new(2));
        let mut tr = Trainer::<f64, 8, 4, 3>::new();
        tr.step(&mut params, &text).unwrap();
        assert_eq!(tr.hprev, tr.work.hs[2].0);
        assert_ne!(tr.hprev, [0.0; 4]);
        // p = 3: 3+3+1 < 8, so h_{-1} of this window is the carried state.
        let (before, carried) = (params.clone(), tr.hprev);
        tr.step(&mut params, &text).unwrap();
        let mut expected = [0.0; 4];
        crate::forward::hidden_forward(&before, 3, &carried, &mut expected).unwrap();
        assert_close(&tr.work.hs[0].0, &expected);
        // p = 6: 6+3+1 >= 8, so back to p = 0 with h_{-1} = 0.
        let before = params.clone();
        tr.step(&mut params, &text).unwrap();
        crate::forward::hidden_forward(&before, 0, &[0.0; 4], &mut expected).unwrap();
        assert_close(&tr.work.hs[0].0, &expected);
        assert_eq!(tr.position, 3);
    }

    /// Equal up to the rounding of a different summation order.
    fn assert_close(a: &[f64; 4], b: &[f64; 4]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-15, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn smooth_loss_starts_at_uniform_guess() {
        let vocab = Vocab::<8>::from_text("hello").unwrap();
        let text = Text::new(&vocab, "hello").unwrap();
        let mut params = Params::<f64, 8, 4>::new(&mut Rng::new(1));
        let mut tr = Trainer::<f64, 8, 4, 4>::new();
        let loss = tr.step(&mut params, &text).unwrap();
        let start = 4.0 * 4f64.ln(); // 4 symbols in the vocabulary, T = 4
        assert!((tr.smooth_loss - (0.999 * start + 0.001 * loss)).abs() < 1e-12);
    }

    #[test]
    fn too_short_text_is_an_error() {
        let vocab = Vocab::<8>::from_text("hello").unwrap();
        let text = Text::new(&vocab, "hello").unwrap();
        let mut params = Params::<f32, 8, 4>::ZERO;
        let mut tr = Trainer::<f32, 8, 4, 5>::new();
        assert_eq!(
            tr.step(&mut params, &text),
            Err(Error::TextTooShort {
                chars: 5,
                needed: 6
            })
        );
    }
}

#[cfg(test)]
mod memory {
    use super::Trainer;
    use crate::engine::ROW_ALIGN;
    use crate::params::Params;

    /// The formula documented in the crate root, in bytes, before alignment padding
    /// (`Params` and `Cache` round up to 16 bytes or more each, the trainer to its
    /// own alignment).
    fn formula(s: usize, v: usize, h: usize, t: usize) -> usize {
        let p = 2 * v * h + h * h + h + v;
        let w = core::mem::size_of::<usize>();
        let row = |bytes: usize| bytes.next_multiple_of(ROW_ALIGN);
        let teaching = s * t * (h + v) + w * t; // the cache: hs, ps, xs
        let engine = s * t * v + s * t * h + (t + h) * row(s * h) + h * row(s * v) + w * t;
        s * (2 * p + h) + teaching + engine + w * 2 + 8 + 16
    }

    fn check<const V: usize, const H: usize, const T: usize>() {
        for (s, bytes) in [
            (4, Trainer::<f32, V, H, T>::BYTES),
            (8, Trainer::<f64, V, H, T>::BYTES),
        ] {
            let f = formula(s, V, H, T);
            assert!(
                f <= bytes && bytes <= f + 64 + ROW_ALIGN,
                "V={V} H={H} T={T}: {f} vs {bytes}"
            );
        }
    }

    #[test]
    fn documented_formula_is_exact_up_to_padding() {
        check::<65, 100, 25>();
        check::<4, 8, 4>();
        check::<5, 7, 3>();
        check::<76, 512, 25>();
        assert_eq!(core::mem::size_of::<Params<f32, 65, 100>>(), 92_672);
        if ROW_ALIGN == 16 && core::mem::size_of::<usize>() == 8 {
            assert_eq!(Trainer::<f32, 65, 100, 25>::BYTES, 296_400); // x86-64 without AVX
        }
    }
}
