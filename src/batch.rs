//! Minibatches: `B` streams of the text trained at once, one Adagrad update
//! for all of them.
//!
//! The text is cut into `B` equal parts. Stream b reads its part window after
//! window, as [`Trainer`] reads the whole text, and carries
//! its own `hprev`; at its part's end it starts its part again from h = 0.
//! One step runs the `B` windows from the same parameters, averages their
//! gradients, clips the average and takes one Adagrad step. With `B = 1`
//! this is [`Trainer`]'s training, bit for bit (tested).
//!
//! Why the average and not the sum: clipping at ±5 then means what it means
//! for one window, and Adagrad divides every step by the root of its summed
//! squared gradients, so the size of its steps does not depend on the scale
//! of the gradient: the learning rate needs no change with `B`.

use core::ops::DerefMut;

use crate::adagrad::Adagrad;
use crate::clip::{CLIP, clip};
use crate::engine::{self, BatchWorkspace, FastFloat};
use crate::error::Error;
use crate::float::Float;
use crate::forward::Cache;
use crate::matrix::Vector;
use crate::params::Params;
use crate::step::loss_fun;
use crate::text::Text;
use crate::train::{Trainer, check_step};

/// Where one stream reads: its part of the text and its place in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stream {
    /// The part's first character in the text.
    pub start: usize,
    /// The part's first byte.
    pub start_byte: usize,
    /// The next window's first character, counted from the part's start.
    pub position: usize,
    /// The next window's first byte, in the text.
    pub byte: usize,
}

/// Everything minibatch training keeps besides the parameters: the
/// gradients, Adagrad's memory, the engine's workspace for `B` windows, and
/// each stream's `hprev` and place in the text.
///
/// `V` = vocabulary capacity, `H` = hidden size, `T` = `seq_length`, `B` =
/// streams. Memory, in floats of `F`: 3·P (gradients, one stream's gradients
/// for the teaching layer's step, Adagrad memory; P = [`Params::COUNT`]) +
/// T·(H + V) (the teaching layer's cache, one stream at a time) +
/// T·B·(2H + V) + H·(H + V) (the engine's workspace) + 2·B·H (`hprevs` and the
/// teaching layer's next states), plus T·B + 4·B indices and a few counters;
/// [`BatchTrainer::BYTES`] is the exact figure. It grows with `B` only through
/// the workspace and the states: 30 KB per stream at V = 76, H = 100,
/// T = 25 in `f32`.
///
/// ```
/// use min_char_rnn::{BatchTrainer, Params, Rng, Text, Vocab};
/// let text = "hello world, hello there, hello again, hello you";
/// let vocab = Vocab::<16>::from_text(text)?;
/// let text = Text::new(&vocab, text)?;
/// let mut params = Params::<f32, 16, 8>::new(&mut Rng::new(1));
/// let mut trainer = BatchTrainer::<f32, 16, 8, 4, 4>::ZERO; // 4 streams
/// let first = trainer.step(&mut params, &text)?;
/// for _ in 0..100 {
///     trainer.step(&mut params, &text)?;
/// }
/// assert!(trainer.step(&mut params, &text)? < first);
/// # Ok::<(), min_char_rnn::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BatchTrainer<F, const V: usize, const H: usize, const T: usize, const B: usize> {
    /// The averaged gradients of the last minibatch (clipped).
    pub grads: Params<F, V, H>,
    /// The optimiser: learning rate and memory.
    pub adagrad: Adagrad<F, V, H>,
    /// One stream's gradients, for [`BatchTrainer::step_reference`].
    pub stream_grads: Params<F, V, H>,
    /// The teaching layer's record of one stream's window.
    pub cache: Cache<F, V, H, T>,
    /// The engine's record of the last minibatch run by [`BatchTrainer::step`].
    pub work: BatchWorkspace<F, V, H, T, B>,
    /// Each stream's h_{-1} for its next window.
    pub hprevs: [Vector<F, H>; B],
    /// The teaching layer's new states, kept until the step is accepted.
    hnext: [Vector<F, H>; B],
    /// Each stream's part of the text and place in it.
    pub streams: [Stream; B],
    /// The length, in characters, of the text the parts were cut from.
    text_chars: usize,
    /// Where each stream's next window starts, read by [`BatchTrainer::gradients`].
    next: [usize; B],
    /// The summed loss of the windows [`BatchTrainer::gradients`] ran.
    loss_sum: F,
    /// Whether `grads` holds [`BatchTrainer::gradients`]' sums, not yet used.
    ready: bool,
    /// Minibatches trained so far (steps).
    pub steps: u64,
    /// The smoothed loss per window, as [`Trainer::smooth_loss`](crate::Trainer::smooth_loss),
    /// of the mean loss of the `B` windows.
    pub smooth_loss: f64,
}

impl<F: Float, const V: usize, const H: usize, const T: usize, const B: usize>
    BatchTrainer<F, V, H, T, B>
{
    /// A trainer at step 0 with learning rate 0.1: a `const`, for a `static`.
    pub const ZERO: Self = BatchTrainer {
        grads: Params::ZERO,
        adagrad: Adagrad::ZERO,
        stream_grads: Params::ZERO,
        cache: Cache::ZERO,
        work: BatchWorkspace::ZERO,
        hprevs: [[F::ZERO; H]; B],
        hnext: [[F::ZERO; H]; B],
        streams: [Stream {
            start: 0,
            start_byte: 0,
            position: 0,
            byte: 0,
        }; B],
        text_chars: 0,
        next: [0; B],
        loss_sum: F::ZERO,
        ready: false,
        steps: 0,
        smooth_loss: 0.0,
    };

    /// `size_of::<Self>()`: the bytes this trainer occupies wherever it lives.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// The part of `text` that shard `k` of `shards` reads, each shard a
    /// `BatchTrainer` of these `B` streams: the characters that streams
    /// `k·B .. (k+1)·B` of one trainer of `shards · B` streams read, so that
    /// the shards together train as that trainer does (see
    /// [`BatchTrainer::finish`]). `None` if `k ≥ shards` or the text has
    /// fewer than `shards · B` characters.
    ///
    /// ```
    /// use min_char_rnn::{BatchTrainer, Text, Vocab};
    /// let vocab = Vocab::<16>::from_text("abcdefghij")?;
    /// let text = Text::new(&vocab, "abcdefghij")?;
    /// // Two shards of two streams: four streams of 2 characters each.
    /// type Shard = BatchTrainer<f32, 16, 4, 1, 2>;
    /// assert_eq!(Shard::shard_part(&text, 1, 2).map(|t| t.as_str()), Some("efgh"));
    /// # Ok::<(), min_char_rnn::Error>(())
    /// ```
    pub fn shard_part<'a>(text: &Text<'a, V>, k: usize, shards: usize) -> Option<Text<'a, V>> {
        let per_stream = text.len() / shards.checked_mul(B)?.max(1);
        if k >= shards {
            return None;
        }
        text.slice(k * B * per_stream..(k + 1) * B * per_stream)
    }

    /// The characters in each stream's part of a text of `chars` characters.
    pub const fn part_chars(chars: usize) -> usize {
        chars / B
    }

    /// The characters of each part of `text`, if each holds a window.
    fn parts_fit(text: &Text<'_, V>) -> Result<usize, Error> {
        let part = Self::part_chars(text.len());
        if part < T + 1 {
            return Err(Error::TextTooShortForStreams {
                chars: text.len(),
                streams: B,
                needed: B.saturating_mul(T + 1),
            });
        }
        Ok(part)
    }

    // ANCHOR: next_windows
    /// Reads the next window of every stream into `xs`, `targets`, after
    /// cutting the text into parts at step 0 (or if the text changed), and
    /// sending a stream back to its part's start with h = 0 when fewer than
    /// `T + 2` of its characters remain. Returns where each stream's
    /// following window starts.
    fn next_windows(
        &mut self,
        text: &Text<'_, V>,
        xs: &mut [[usize; T]; B],
        targets: &mut [[usize; T]; B],
    ) -> Result<[usize; B], Error> {
        const { assert!(T > 0 && B > 0 && V > 0, "T, B and V must be at least 1") };
        let part = Self::parts_fit(text)?;
        if self.steps == 0 || self.text_chars != text.len() {
            self.cut(text);
        }
        if self.steps == 0 {
            self.smooth_loss = libm::log(text.vocab().len() as f64) * T as f64;
        }
        let mut next = [0; B];
        let rewind = |s: &mut Stream, h: &mut Vector<F, H>| {
            s.position = 0; //    back to the part's start
            s.byte = s.start_byte;
            *h = [F::ZERO; H]; // with h = 0
        };
        for (b, s) in self.streams.iter_mut().enumerate() {
            if s.position.saturating_add(T + 1) >= part || self.steps == 0 {
                rewind(s, &mut self.hprevs[b]);
            }
            let (x, y) = (&mut xs[b], &mut targets[b]);
            next[b] = match text.window(s.byte, x, y) {
                Some(next) => next,
                None => {
                    // A place set by hand that is not in this text: start the
                    // stream's part afresh, as `Trainer` does.
                    rewind(s, &mut self.hprevs[b]);
                    let too_short = Error::TextTooShort {
                        chars: text.len(),
                        needed: T + 1,
                    };
                    text.window(s.byte, x, y).ok_or(too_short)?
                }
            };
        }
        Ok(next)
    }
    // ANCHOR_END: next_windows

    /// Cuts `text` into `B` parts of `text.len() / B` characters (the last
    /// few characters, fewer than `B`, are not read).
    fn cut(&mut self, text: &Text<'_, V>) {
        let part = Self::part_chars(text.len());
        let mut starts = text.as_str().char_indices().step_by(part.max(1));
        for (b, s) in self.streams.iter_mut().enumerate() {
            let byte = starts.next().map_or(0, |(i, _)| i);
            *s = Stream {
                start: b * part,
                start_byte: byte,
                position: 0,
                byte,
            };
        }
        self.text_chars = text.len();
    }

    /// Moves every stream on by one window and counts the step.
    fn advance(&mut self, next: [usize; B], loss: F) {
        for (s, next) in self.streams.iter_mut().zip(next) {
            s.position += T;
            s.byte = next;
        }
        self.steps = self.steps.saturating_add(1);
        self.smooth_loss = self.smooth_loss * 0.999 + loss.to_f64() * 0.001;
    }

    /// Writes the state a one-stream checkpoint holds into `trainer`:
    /// Adagrad (learning rate and memory), the step count, the smoothed loss,
    /// and stream 0's place and `hprev` (stream 0 reads the start of the
    /// text, as a one-stream run does). Save `trainer` with
    /// [`save_checkpoint`](crate::save_checkpoint); [`BatchTrainer::resume`]
    /// continues from it.
    pub fn store(&self, trainer: &mut Trainer<F, V, H, T>) {
        trainer.adagrad.clone_from(&self.adagrad);
        trainer.steps = self.steps;
        trainer.smooth_loss = self.smooth_loss;
        trainer.hprev = self.hprevs[0];
        trainer.set_position(self.streams[0].position, self.streams[0].byte);
    }

    /// Continues from a one-stream state (a loaded checkpoint, of a run with
    /// any number of streams): Adagrad, the step count and the smoothed loss
    /// are taken over; stream 0 continues where `trainer` stands, with its
    /// `hprev`, if that place is inside stream 0's part of `text`; the other
    /// streams start their parts with h = 0 (a checkpoint keeps one stream).
    ///
    /// Errors: [`Error::TextTooShortForStreams`].
    pub fn resume(
        &mut self,
        trainer: &Trainer<F, V, H, T>,
        text: &Text<'_, V>,
    ) -> Result<(), Error> {
        let part = Self::parts_fit(text)?;
        self.cut(text);
        self.hprevs = [[F::ZERO; H]; B];
        self.adagrad.clone_from(&trainer.adagrad);
        self.steps = trainer.steps;
        self.smooth_loss = trainer.smooth_loss;
        if trainer.steps > 0 && trainer.position.saturating_add(T + 1) < part {
            self.streams[0].position = trainer.position;
            self.streams[0].byte = trainer.byte_position();
            self.hprevs[0] = trainer.hprev;
        }
        Ok(())
    }

    // ANCHOR: batch_step_reference
    /// One minibatch step by the teaching layer: for each stream, Karpathy's
    /// [`loss_fun`] on its window from its `hprev`; the gradients averaged
    /// over the streams; [`clip`] (O1) and [`Adagrad::update`] (O2) once.
    /// Returns the mean loss of the `B` windows (per window, in nats).
    ///
    /// Errors: [`Error::TextTooShortForStreams`] if a stream's part of the
    /// text is shorter than `T + 1` characters; [`Error::Diverged`] as
    /// [`Trainer::step`](crate::Trainer::step), with nothing changed.
    pub fn step_reference(
        &mut self,
        params: &mut Params<F, V, H>,
        text: &Text<'_, V>,
    ) -> Result<F, Error> {
        let (mut xs, mut targets) = ([[0; T]; B], [[0; T]; B]);
        let next = self.next_windows(text, &mut xs, &mut targets)?;
        let vocab_size = text.vocab().len();
        let mut loss = F::ZERO;
        for b in 0..B {
            let (cache, one) = (&mut self.cache, &mut self.stream_grads);
            loss += loss_fun(
                params,
                vocab_size,
                &xs[b],
                &targets[b],
                &self.hprevs[b],
                cache,
                one,
            )?;
            add_into(&mut self.grads, one, b == 0); // Σ_b dθ_b
            self.hnext[b] = self.cache.hs[T - 1];
        }
        let loss = loss / F::from_f64(B as f64); // the mean window loss
        average(&mut self.grads, B); //             and the mean gradient
        check(loss, &self.grads, &self.hnext, self.steps)?;
        clip(&mut self.grads, F::from_f64(CLIP)); //     O1
        self.adagrad.update(params, &self.grads); //     O2
        self.hprevs = self.hnext; //                     carried into the next windows
        self.advance(next, loss);
        Ok(loss)
    }
    // ANCHOR_END: batch_step_reference
}

/// Training by the engine, for the float types it runs on (`f32`, `f64`).
impl<F: FastFloat, const V: usize, const H: usize, const T: usize, const B: usize>
    BatchTrainer<F, V, H, T, B>
{
    // ANCHOR: batch_step
    /// One minibatch step by the engine: [`BatchTrainer::gradients`] of the
    /// `B` windows, then [`BatchTrainer::finish`]: the gradients averaged,
    /// then the engine's fused clip and Adagrad. The same state and results
    /// as [`BatchTrainer::step_reference`] up to rounding (tested); with
    /// `B = 1`, those of [`Trainer::step`](crate::Trainer::step) bit for bit.
    ///
    /// Errors: as [`BatchTrainer::step_reference`].
    pub fn step(&mut self, params: &mut Params<F, V, H>, text: &Text<'_, V>) -> Result<F, Error> {
        self.gradients(params, text)?;
        Self::finish(&mut [self], params)
    }
    // ANCHOR_END: batch_step

    // ANCHOR: gradients
    /// The first half of a step, which shards may run at the same time (one
    /// per core): reads the next window of each of the `B` streams and runs
    /// [`engine::batch::forward`] and [`engine::batch::backward`] over them
    /// from `params`, leaving in `grads` the gradients *summed* over the
    /// streams. Neither `params` nor the streams' places change until
    /// [`BatchTrainer::finish`]. Returns the summed loss of the `B` windows.
    ///
    /// Errors: [`Error::TextTooShortForStreams`] if a stream's part of the
    /// text is shorter than `T + 1` characters.
    pub fn gradients(&mut self, params: &Params<F, V, H>, text: &Text<'_, V>) -> Result<F, Error> {
        let (mut xs, mut targets) = ([[0; T]; B], [[0; T]; B]);
        self.ready = false;
        self.next = self.next_windows(text, &mut xs, &mut targets)?;
        let vocab_size = text.vocab().len();
        let (work, hprevs) = (&mut self.work, &self.hprevs);
        let losses = engine::batch::forward(params, vocab_size, &xs, &targets, hprevs, work)?;
        engine::batch::backward(params, vocab_size, work, &targets, hprevs, &mut self.grads)?;
        self.loss_sum = losses.iter().fold(F::ZERO, |s, &l| s + l);
        self.ready = true;
        Ok(self.loss_sum)
    }
    // ANCHOR_END: gradients

    // ANCHOR: finish
    /// The second half of a step, for `shards` that have each just run
    /// [`BatchTrainer::gradients`] from the same `params`, shard k on
    /// [`BatchTrainer::shard_part`]`(text, k, shards.len())`: adds their
    /// gradients into the first shard's, averages them over all
    /// `B · shards.len()` streams (`B` here is one shard's streams), and
    /// makes one clipped Adagrad update with the first shard's memory; then
    /// every stream moves on. `K` shards of `B` streams so train as one
    /// `BatchTrainer` of `K·B` streams does, up to the order of the sums
    /// (tested). The shards are anything that derefs to a `BatchTrainer`
    /// (`&mut`, `Box`). Returns the mean loss of all the windows.
    ///
    /// Errors: [`Error::GradientsMissing`] if a shard has no gradients for
    /// this step (or `shards` is empty); [`Error::Diverged`] as
    /// [`Trainer::step`](crate::Trainer::step), with nothing changed.
    pub fn finish<S>(shards: &mut [S], params: &mut Params<F, V, H>) -> Result<F, Error>
    where
        S: DerefMut<Target = Self>,
    {
        if let Some(shard) = shards.iter().position(|s| !s.ready) {
            return Err(Error::GradientsMissing { shard });
        }
        shards.iter_mut().for_each(|s| s.ready = false); // used once, even if it fails
        let Some((first, rest)) = shards.split_first_mut() else {
            return Err(Error::GradientsMissing { shard: 0 });
        };
        let first: &mut Self = first;
        let mut loss = first.loss_sum;
        for shard in rest.iter() {
            loss += shard.loss_sum;
            add_into(&mut first.grads, &shard.grads, false); // Σ over the shards
        }
        let streams = B * (1 + rest.len());
        let loss = loss / F::from_f64(streams as f64);
        average(&mut first.grads, streams);
        let hnext =
            |s: &Self| -> [Vector<F, H>; B] { core::array::from_fn(|b| s.work.hs[T - 1][b].0) };
        let mut all = core::iter::once(&*first).chain(rest.iter().map(|s| &**s));
        all.try_for_each(|s| check(loss, &first.grads, &hnext(s), first.steps))?;
        let limit = F::from_f64(CLIP);
        // One shard's inputs name the rows of Wxh its windows touched; with
        // several, every row (an untouched row's zero gradient changes nothing).
        let every: [usize; V];
        let inputs = if rest.is_empty() {
            first.work.xs.as_flattened()
        } else {
            every = core::array::from_fn(|x| x);
            &every[..]
        };
        engine::update::clip_and_update(
            &mut first.adagrad,
            params,
            &mut first.grads,
            limit,
            inputs,
        );
        let all = core::iter::once(first).chain(rest.iter_mut().map(|s| &mut **s));
        for shard in all {
            shard.hprevs = hnext(shard);
            shard.advance(shard.next, loss);
        }
        Ok(loss)
    }
    // ANCHOR_END: finish
}

/// `sum += one` element by element, or `sum = one` for the first stream
/// (so that one stream's gradients are copied exactly, signs of zeros and
/// all).
fn add_into<F: Float, const V: usize, const H: usize>(
    sum: &mut Params<F, V, H>,
    one: &Params<F, V, H>,
    first: bool,
) {
    for (s, o) in sum.tensors_mut().into_iter().zip(one.tensors()) {
        for (s_i, &o_i) in s.iter_mut().zip(o) {
            *s_i = if first { o_i } else { *s_i + o_i };
        }
    }
}

/// Divides the summed gradients by the number of streams (nothing to do for
/// one stream).
fn average<F: Float, const V: usize, const H: usize>(grads: &mut Params<F, V, H>, streams: usize) {
    if streams > 1 {
        let n = F::from_f64(streams as f64);
        for g in grads.tensors_mut() {
            for g_i in g {
                *g_i /= n;
            }
        }
    }
}

/// [`check_step`] for every stream's new state.
fn check<F: Float, const V: usize, const H: usize, const B: usize>(
    loss: F,
    grads: &Params<F, V, H>,
    hnext: &[Vector<F, H>; B],
    steps: u64,
) -> Result<(), Error> {
    hnext
        .iter()
        .try_for_each(|h| check_step(loss, grads, h, steps))
}
