//! O2: the Adagrad update, a per-parameter learning rate.

use crate::approx;
use crate::error::Error;
use crate::float::Float;
use crate::params::Params;

/// The ε of Adagrad that keeps the first division finite.
pub const EPSILON: f64 = 1e-8;

/// Whether Adagrad's step divides by a hardware square root (`true`) or
/// multiplies by Newton's [`approx::rsqrt`] (`false`); see [`descend`].
///
/// `core` has no square root (`libm`'s is a call that stops a loop from
/// being vectorised), so without the `std` feature it is always Newton's.
/// With `std`, `f32::sqrt` is one vector instruction, and the square root
/// and the division are two; but both run on one divider, which does not
/// get wider with the vectors. With SSE2's four lanes they beat Newton's
/// twelve multiplies and adds (the whole training loop 6% faster, f32 and
/// f64); with FMA, which comes with AVX2's eight lanes and AVX-512's sixteen,
/// Newton's fused steps win (the division was 2% slower in f32, 10% in f64).
/// Both are within 2 ulp of the exact step; the division is the textbook
/// form itself.
pub const ADAGRAD_DIVIDES: bool = cfg!(all(feature = "std", not(target_feature = "fma")));

/// Adagrad's state: the learning rate η and, per parameter, the running sum of
/// squared gradients `m` (named `mWxh …` in the book; same shapes as [`Params`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Adagrad<F, const V: usize, const H: usize> {
    /// η, with 0.0 standing for [`Self::DEFAULT_LEARNING_RATE`]: a learning rate
    /// of 0 is refused anyway, and this way an untouched optimiser is all zero
    /// bits, so a `static` of it lands in `.bss` and costs no flash.
    learning_rate: f64,
    /// The memory m: Σ over all steps so far of dθ ⊙ dθ.
    pub memory: Params<F, V, H>,
}

impl<F: Float, const V: usize, const H: usize> Adagrad<F, V, H> {
    /// Karpathy's learning rate, 0.1.
    pub const DEFAULT_LEARNING_RATE: f64 = 0.1;

    /// Learning rate 0.1, empty memory: all zero bits, for a `static`.
    pub const ZERO: Self = Adagrad {
        learning_rate: 0.0,
        memory: Params::ZERO,
    };

    /// The learning rate η.
    pub fn learning_rate(&self) -> f64 {
        if self.learning_rate == 0.0 {
            Self::DEFAULT_LEARNING_RATE
        } else {
            self.learning_rate
        }
    }

    /// Sets η. Errors with [`Error::BadLearningRate`] unless finite and positive.
    pub fn set_learning_rate(&mut self, learning_rate: f64) -> Result<(), Error> {
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(Error::BadLearningRate {
                value: learning_rate,
            });
        }
        self.learning_rate = learning_rate;
        Ok(())
    }

    /// One Adagrad step on every parameter (see [`adagrad_update`]).
    pub fn update(&mut self, params: &mut Params<F, V, H>, grads: &Params<F, V, H>) {
        let lr = F::from_f64(self.learning_rate());
        let eps = F::from_f64(EPSILON);
        for ((theta, dtheta), m) in params
            .tensors_mut()
            .into_iter()
            .zip(grads.tensors())
            .zip(self.memory.tensors_mut())
        {
            adagrad_update(theta, dtheta, m, lr, eps);
        }
    }

    /// O1 and O2 as training does them, in one pass over the parameters:
    /// clips every gradient element to `[−limit, limit]` (in place, so
    /// `grads` ends up clipped exactly as by [`clip`](crate::clip())), then
    /// takes the Adagrad step with it.
    ///
    /// `inputs` are the window's inputs x_t. Their one-hot vectors make
    /// `dWxh = Σ_t dhraw_t x_tᵀ` zero outside the columns `inputs`, i.e. rows
    /// of `dWxhT`; a zero gradient changes neither m nor θ, so only those rows
    /// are visited (a 25-character window has at most 25 distinct characters).
    /// The result is that of `clip` followed by [`Adagrad::update`], bit for
    /// bit (tested), provided `grads.WxhT` is zero outside those rows, as
    /// [`backward`](crate::backward()) leaves it. Shapes: as [`Params`];
    /// `inputs` in 0..V (others are ignored).
    #[allow(non_snake_case)] // WxhT: the book's symbol, transposed
    pub fn clip_and_update(
        &mut self,
        params: &mut Params<F, V, H>,
        grads: &mut Params<F, V, H>,
        limit: F,
        inputs: &[usize],
    ) {
        let lr = F::from_f64(self.learning_rate());
        let eps = F::from_f64(EPSILON);
        // ANCHOR: O1_O2_rows
        let tensors = params.tensors_mut().into_iter();
        let tensors = tensors
            .zip(grads.tensors_mut())
            .zip(self.memory.tensors_mut());
        for ((theta, dtheta), m) in tensors.skip(1) {
            clip_adagrad_update(theta, dtheta, m, lr, eps, limit); // Whh, Why, bh, by
        }
        let mut done = [false; V];
        for &x in inputs.iter().filter(|&&x| x < V) {
            if !core::mem::replace(&mut done[x], true) {
                let (WxhT, dWxhT, mWxhT) =
                    (&mut params.WxhT, &mut grads.WxhT, &mut self.memory.WxhT);
                clip_adagrad_update(&mut WxhT[x], &mut dWxhT[x], &mut mWxhT[x], lr, eps, limit);
            }
        }
        // ANCHOR_END: O1_O2_rows
    }
}

// ANCHOR: O1_O2_fused
/// O1 and O2 on one tensor, in one pass: `dθ = clamp(dθ, −limit, limit)`
/// (stored back), `m += dθ ⊙ dθ`, `θ −= η dθ / sqrt(m + ε)`. Shapes: all
/// three slices have the same length.
#[inline]
pub fn clip_adagrad_update<F: Float>(
    theta: &mut [F],
    dtheta: &mut [F],
    m: &mut [F],
    lr: F,
    eps: F,
    limit: F,
) {
    for ((theta_i, d_i), m_i) in theta.iter_mut().zip(dtheta).zip(m) {
        let d = d_i.max(-limit).min(limit); // O1, as in clip
        *d_i = d;
        *m_i = d.mul_add(d, *m_i); //                   m + d²
        *theta_i = descend(*theta_i, lr * d, *m_i + eps); // θ − η d / √(m + ε)
    }
}
// ANCHOR_END: O1_O2_fused

// ANCHOR: O2_adagrad
/// `m += dθ ⊙ dθ; θ −= η dθ / sqrt(m + ε)`, element by element.
///
/// Each parameter's step is divided by the root of its own history of squared
/// gradients: parameters that keep receiving large gradients slow down, rare ones
/// keep learning. Shapes: all three slices have the same length.
///
/// The division by the square root is [`descend`]'s: run once per window
/// over every parameter, this loop must vectorise, and `core` has no square
/// root the compiler could vectorise.
pub fn adagrad_update<F: Float>(theta: &mut [F], dtheta: &[F], m: &mut [F], lr: F, eps: F) {
    for ((theta_i, &d_i), m_i) in theta.iter_mut().zip(dtheta).zip(m) {
        *m_i = d_i.mul_add(d_i, *m_i); //                  m + dθ²
        *theta_i = descend(*theta_i, lr * d_i, *m_i + eps); // θ − η dθ / √(m + ε)
    }
}
// ANCHOR_END: O2_adagrad

// ANCHOR: O2_descend
/// `θ − step / √(m + ε)`, given `step` = η dθ and `m + ε`: one parameter's
/// Adagrad step.
///
/// Where [`ADAGRAD_DIVIDES`], exactly the textbook form: a hardware square
/// root and a division. Elsewhere `1/√(m + ε)` is [`approx::rsqrt`] (within
/// 2 ulp), Newton's method, multiplies only, and the step is added to θ as
/// `θ + (−step) · rsqrt(m + ε)`, one fused multiply-add where the target
/// has FMA.
#[inline(always)]
pub fn descend<F: Float>(theta: F, step: F, m_eps: F) -> F {
    if ADAGRAD_DIVIDES {
        theta - step / m_eps.sqrt()
    } else {
        (-step).mul_add(approx::rsqrt(m_eps), theta)
    }
}
// ANCHOR_END: O2_descend

/// The textbook form of [`adagrad_update`], with a correctly rounded square
/// root ([`Float::sqrt`]) and a division: the reference the fast form is
/// tested against.
pub fn adagrad_update_reference<F: Float>(
    theta: &mut [F],
    dtheta: &[F],
    m: &mut [F],
    lr: F,
    eps: F,
) {
    for ((theta_i, &d_i), m_i) in theta.iter_mut().zip(dtheta).zip(m) {
        *m_i += d_i * d_i;
        *theta_i -= lr * d_i / (*m_i + eps).sqrt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_is_learning_rate_times_sign() {
        // m = g², so the first step is η g / |g| = η sign(g), whatever |g| is.
        let (mut theta, mut m) = ([1.0f64, 1.0], [0.0f64, 0.0]);
        adagrad_update(&mut theta, &[3.0, -0.01], &mut m, 0.1, 1e-8);
        assert!((theta[0] - 0.9).abs() < 1e-9 && (theta[1] - 1.1).abs() < 1e-5);
        assert_eq!(m, [9.0, 0.0001]);
    }

    #[test]
    fn fast_form_matches_the_textbook_form() {
        let mut rng = crate::rng::Rng::new(4);
        let mut g = [0.0f64; 64];
        for gi in &mut g {
            *gi = rng.normal() * 10f64.powf(rng.uniform() * 8.0 - 6.0);
        }
        let (mut a, mut ma) = ([0.25f64; 64], [0.0f64; 64]);
        let (mut b, mut mb) = (a, ma);
        for _ in 0..5 {
            adagrad_update(&mut a, &g, &mut ma, 0.1, 1e-8);
            adagrad_update_reference(&mut b, &g, &mut mb, 0.1, 1e-8);
        }
        if crate::FUSED_MULTIPLY_ADD {
            // m + dθ² rounded once instead of twice: equal to the last bit or so.
            for (x, y) in ma.iter().zip(&mb) {
                assert!((x - y).abs() <= 1e-15 * y, "{x} vs {y}");
            }
        } else {
            assert_eq!(ma, mb);
        }
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-15, "{x} vs {y}");
        }
        if ADAGRAD_DIVIDES && !crate::FUSED_MULTIPLY_ADD {
            assert_eq!(a, b); // the fast form is then the textbook form
        }
    }

    #[test]
    fn newton_and_division_agree_within_2_ulp() {
        // Whichever form `descend` uses, the other is checked against it.
        let mut rng = crate::rng::Rng::new(12);
        for _ in 0..10_000 {
            let step = (rng.normal() * 0.5) as f32;
            let m_eps = (10f64.powf(rng.uniform() * 12.0 - 8.0)) as f32;
            let exact = step / m_eps.sqrt();
            let newton = step * approx::rsqrt(m_eps);
            assert!(
                (newton - exact).abs() <= 2.0 * f32::EPSILON * exact.abs(),
                "{step} / sqrt({m_eps}): {newton} vs {exact}"
            );
            assert_eq!(
                descend(0.0, step, m_eps),
                if ADAGRAD_DIVIDES { -exact } else { -newton }
            );
        }
    }

    #[test]
    fn fused_clip_and_update_is_clip_then_update() {
        let mut rng = crate::rng::Rng::new(9);
        let mut params = Params::<f32, 5, 6>::new(&mut rng);
        let mut grads = Params::<f32, 5, 6>::ZERO;
        for t in grads.tensors_mut() {
            for g in t {
                *g = (rng.normal() * 4.0) as f32; // about a fifth beyond ±5
            }
        }
        let inputs = [3, 0, 3]; // rows 1, 2 and 4 of dWxhT are zero, as backward leaves them
        for x in [1, 2, 4] {
            grads.WxhT[x] = [0.0; 6];
        }
        let (mut a, mut b) = (Adagrad::ZERO, Adagrad::ZERO);
        let (mut params_b, mut grads_b) = (params.clone(), grads.clone());
        for _ in 0..3 {
            a.clip_and_update(&mut params, &mut grads, 5.0, &inputs);
            crate::clip(&mut grads_b, 5.0);
            b.update(&mut params_b, &grads_b);
        }
        assert!(
            grads_b
                .tensors()
                .iter()
                .flat_map(|t| t.iter())
                .any(|&g| g == 5.0)
        );
        assert_eq!((params, grads, a), (params_b, grads_b, b));
    }

    #[test]
    fn zero_gradient_leaves_parameter_alone() {
        let (mut theta, mut m) = ([0.5f32], [0.0f32]);
        adagrad_update(&mut theta, &[0.0], &mut m, 0.1, 1e-8);
        assert_eq!((theta, m), ([0.5], [0.0]));
    }

    #[test]
    fn learning_rate_must_be_positive_and_finite() {
        let mut a = Adagrad::<f32, 2, 2>::ZERO;
        for bad in [0.0, -0.1, f64::NAN, f64::INFINITY] {
            assert!(a.set_learning_rate(bad).is_err());
        }
        assert_eq!(a.learning_rate(), 0.1);
        a.set_learning_rate(0.05).unwrap();
        assert_eq!(a.learning_rate(), 0.05);
    }
}
