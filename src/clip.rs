//! O1: gradient clipping, the guard against exploding gradients.

use crate::float::Float;
use crate::params::Params;

/// The clipping bound of min-char-rnn: every gradient element ends in [−5, 5].
pub const CLIP: f64 = 5.0;

// ANCHOR: O1_clip
/// Clamps every element of every gradient tensor to `[−limit, limit]`.
///
/// Backpropagating through many steps multiplies by `Whh` again and again, so a
/// gradient can grow exponentially with the window length. Clipping each element
/// bounds what one window can add to Adagrad's memory.
/// A NaN stays NaN, so a broken gradient is not hidden.
///
/// ```
/// use min_char_rnn::{Params, clip::clip};
/// let mut g = Params::<f32, 2, 1>::ZERO;
/// g.by = [7.0, -0.5];
/// clip(&mut g, 5.0);
/// assert_eq!(g.by, [5.0, -0.5]);
/// ```
pub fn clip<F: Float, const V: usize, const H: usize>(grads: &mut Params<F, V, H>, limit: F) {
    for tensor in grads.tensors_mut() {
        for g in tensor {
            *g = g.max(-limit).min(limit);
        }
    }
}
// ANCHOR_END: O1_clip

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_every_tensor_on_both_sides() {
        let mut g = Params::<f64, 2, 2>::ZERO;
        g.WxhT[0][1] = -9.0;
        g.Whh[0][1] = 5.5;
        g.Why[1][1] = 4.9;
        g.bh[0] = 1e9;
        g.by[1] = f64::NAN;
        clip(&mut g, CLIP);
        assert_eq!(
            (g.WxhT[0][1], g.Whh[0][1], g.Why[1][1], g.bh[0]),
            (-5.0, 5.0, 4.9, 5.0)
        );
        assert!(g.by[1].is_nan());
    }
}
