//! The five parameter tensors of the model: what training learns.

use crate::error::Error;
use crate::float::Float;
use crate::matrix::{Matrix, Vector};
use crate::rng::Rng;

/// The weights and biases of the RNN, named as in the book.
///
/// The same struct holds the gradients (`dWxhT …`) and Adagrad's memory
/// (`mWxhT …`): they have exactly the parameters' shapes.
///
/// Shapes, with V = vocabulary size and H = hidden size:
///
/// | field | shape | role |
/// |---|---|---|
/// | `WxhT` | V×H | input (one-hot) → hidden, stored transposed |
/// | `Whh` | H×H | previous hidden → hidden |
/// | `Why` | V×H | hidden → output logits |
/// | `bh`  | H   | hidden bias |
/// | `by`  | V   | output bias |
///
/// [`Params::COUNT`] = V·H + H·H + V·H + H + V numbers, i.e.
/// `size_of::<Params<F, V, H>>()` = that many times 4 (f32) or 8 (f64) bytes,
/// rounded up to a multiple of 16.
///
/// Aligned to 16 bytes, so that wherever a `Params` lives its rows can be
/// read with aligned vector loads.
#[allow(non_snake_case)] // the fields are the book's symbols: W for weights, b for biases
#[derive(Clone, Debug, PartialEq)]
#[repr(align(16))]
pub struct Params<F, const V: usize, const H: usize> {
    /// Input-to-hidden weights, stored as the transpose of the book's H×V
    /// `Wxh`: V×H, so that `WxhT[x]`, what the one-hot input x adds to the
    /// hidden state (column x of `Wxh`), is one contiguous row.
    pub WxhT: Matrix<F, V, H>,
    /// Hidden-to-hidden (recurrent) weights, H×H.
    pub Whh: Matrix<F, H, H>,
    /// Hidden-to-output weights, V×H.
    pub Why: Matrix<F, V, H>,
    /// Hidden bias, H.
    pub bh: Vector<F, H>,
    /// Output bias, V.
    pub by: Vector<F, V>,
}

impl<F: Float, const V: usize, const H: usize> Params<F, V, H> {
    /// All zeros: a value that can initialise a `static` at compile time.
    pub const ZERO: Self = Params {
        WxhT: [[F::ZERO; H]; V],
        Whh: [[F::ZERO; H]; H],
        Why: [[F::ZERO; H]; V],
        bh: [F::ZERO; H],
        by: [F::ZERO; V],
    };

    /// How many numbers the five tensors hold: 2·V·H + H·H + H + V.
    pub const COUNT: usize = 2 * V * H + H * H + H + V;

    /// Karpathy's initialisation: weights ~ N(0, 1)·0.01, biases 0.
    ///
    /// Written in place, so a large model never passes through the stack. Draws
    /// `Wxh`, then `Whh`, then `Why`, row by row (as `np.random.randn` fills them;
    /// `Wxh` in its book shape H×V, into the transposed storage), in `f64`, then
    /// rounds: the f32 and f64 models of one seed start alike. For a text with
    /// fewer symbols than the capacity `V`, see [`Params::init_for`].
    pub fn init(&mut self, rng: &mut Rng) {
        self.init_used(V, rng);
    }

    /// [`Params::init`] for a model whose text has `vocab_size` symbols: draws
    /// exactly the numbers min-char-rnn draws with that `vocab_size` (`Wxh`
    /// H×vocab_size, `Whh`, `Why` vocab_size×H), and zeros for the capacity
    /// beyond, which a text of this vocabulary never reaches. A model compiled
    /// with a larger `V` then trains exactly as one of the exact size.
    ///
    /// Errors: [`Error::VocabSizeOutOfRange`] unless 1 ≤ `vocab_size` ≤ V.
    ///
    /// ```
    /// use min_char_rnn::{Params, Rng};
    /// let mut big = Params::<f64, 8, 4>::ZERO;
    /// big.init_for(3, &mut Rng::new(7))?;
    /// let exact = Params::<f64, 3, 4>::new(&mut Rng::new(7));
    /// assert_eq!(big.Why[..3], exact.Why[..]);
    /// assert_eq!(big.Why[3..], [[0.0; 4]; 5]);
    /// # Ok::<(), min_char_rnn::Error>(())
    /// ```
    pub fn init_for(&mut self, vocab_size: usize, rng: &mut Rng) -> Result<(), Error> {
        if vocab_size == 0 || vocab_size > V {
            return Err(Error::VocabSizeOutOfRange {
                vocab_size,
                capacity: V,
            });
        }
        self.init_used(vocab_size, rng);
        Ok(())
    }

    // ANCHOR: init
    /// The draws of [`Params::init_for`], for `n` = vocab_size ≤ V.
    fn init_used(&mut self, n: usize, rng: &mut Rng) {
        self.fill_zero();
        let scale = 0.01;
        for i in 0..H {
            for column in &mut self.WxhT[..n] {
                column[i] = F::from_f64(rng.normal() * scale); // Wxh[i][x], x = 0..n
            }
        }
        for w in [
            self.Whh.as_flattened_mut(),
            self.Why[..n].as_flattened_mut(),
        ] {
            for w_i in w {
                *w_i = F::from_f64(rng.normal() * scale);
            }
        }
    }
    // ANCHOR_END: init

    /// A freshly initialised model, returned by value (see [`Params::init`] for
    /// models too large for the stack).
    ///
    /// ```
    /// use min_char_rnn::{Params, Rng};
    /// let params = Params::<f32, 4, 8>::new(&mut Rng::new(1));
    /// assert_eq!(params.bh, [0.0; 8]);
    /// assert!(params.Whh[0][0] != 0.0);
    /// ```
    pub fn new(rng: &mut Rng) -> Self {
        let mut p = Self::ZERO;
        p.init(rng);
        p
    }

    /// The five tensors as flat slices, in the order `WxhT Whh Why bh by`.
    pub fn tensors(&self) -> [&[F]; 5] {
        [
            self.WxhT.as_flattened(),
            self.Whh.as_flattened(),
            self.Why.as_flattened(),
            &self.bh,
            &self.by,
        ]
    }

    /// The five tensors as flat mutable slices, in the order `WxhT Whh Why bh by`.
    pub fn tensors_mut(&mut self) -> [&mut [F]; 5] {
        [
            self.WxhT.as_flattened_mut(),
            self.Whh.as_flattened_mut(),
            self.Why.as_flattened_mut(),
            &mut self.bh,
            &mut self.by,
        ]
    }

    /// Sets every element to zero.
    pub fn fill_zero(&mut self) {
        for t in self.tensors_mut() {
            t.fill(F::ZERO);
        }
    }
}

/// The tensor names in the order of [`Params::tensors`], for messages and tests.
pub const TENSOR_NAMES: [&str; 5] = ["WxhT", "Whh", "Why", "bh", "by"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_is_the_size_in_floats() {
        assert_eq!(Params::<f32, 5, 7>::COUNT, 131);
        assert_eq!(core::mem::size_of::<Params<f32, 5, 7>>(), 528); // 524, padded
        assert_eq!(core::mem::align_of::<Params<f32, 5, 7>>(), 16);
        let floats = 2 * 65 * 100 + 100 * 100 + 100 + 65;
        assert_eq!(Params::<f64, 65, 100>::COUNT, floats);
        assert_eq!(core::mem::size_of::<Params<f64, 65, 100>>(), 8 * floats + 8); // padded
        assert_eq!(core::mem::size_of::<Params<f32, 76, 100>>(), 4 * 25_376); // already 16·k
        let p = Params::<f64, 3, 2>::ZERO;
        let total: usize = p.tensors().iter().map(|t| t.len()).sum();
        assert_eq!(total, Params::<f64, 3, 2>::COUNT);
    }

    #[test]
    fn init_is_small_gaussian_and_seeded() {
        let a = Params::<f64, 10, 20>::new(&mut Rng::new(3));
        let b = Params::<f64, 10, 20>::new(&mut Rng::new(3));
        assert_eq!(a, b);
        let w = a.Whh.as_flattened();
        let var = w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64;
        assert!((var.sqrt() - 0.01).abs() < 0.001, "std {}", var.sqrt());
        let c = Params::<f32, 10, 20>::new(&mut Rng::new(3));
        assert_eq!(c.Why[9][19], a.Why[9][19] as f32);
    }
}
