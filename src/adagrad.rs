//! O2: the Adagrad update, a per-parameter learning rate.

use crate::error::Error;
use crate::float::Float;
use crate::params::Params;

/// The ε of Adagrad that keeps the first division finite.
pub const EPSILON: f64 = 1e-8;

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

    /// Sets η. Errors with [`Error::BadLearningRate`] unless finite and
    /// positive, in `f64` and in `F` (an f32 model cannot learn at a rate
    /// that rounds to 0 or ∞ in f32).
    pub fn set_learning_rate(&mut self, learning_rate: f64) -> Result<(), Error> {
        if !learning_rate_fits::<F>(learning_rate) {
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
}

/// Whether `learning_rate` is finite and positive, in `f64` and in `F`.
pub(crate) fn learning_rate_fits<F: Float>(learning_rate: f64) -> bool {
    let in_f = F::from_f64(learning_rate);
    learning_rate.is_finite() && learning_rate > 0.0 && in_f.is_finite() && in_f > F::ZERO
}

// ANCHOR: O2_adagrad
/// `m += dθ ⊙ dθ; θ −= η dθ / sqrt(m + ε)`, element by element.
///
/// Each parameter's step is divided by the root of its own history of squared
/// gradients: parameters that keep receiving large gradients slow down, rare ones
/// keep learning. Shapes: all three slices have the same length.
pub fn adagrad_update<F: Float>(theta: &mut [F], dtheta: &[F], m: &mut [F], lr: F, eps: F) {
    for ((theta_i, &d_i), m_i) in theta.iter_mut().zip(dtheta).zip(m) {
        *m_i += d_i * d_i; //                      m += dθ²
        *theta_i -= lr * d_i / (*m_i + eps).sqrt(); // θ −= η dθ / √(m + ε)
    }
}
// ANCHOR_END: O2_adagrad

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
