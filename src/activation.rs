//! The two non-linear functions of the model: tanh and softmax.

use crate::float::Float;

// ANCHOR: tanh
/// `h[i] = tanh(h[i])` for every element, in place. Shapes: `h`: any length.
pub fn tanh_in_place<F: Float>(h: &mut [F]) {
    for h_i in h {
        *h_i = h_i.tanh();
    }
}
// ANCHOR_END: tanh

// ANCHOR: F3_softmax
/// `p = softmax(y)`: `p[i] = exp(y[i] − m) / Σ_j exp(y[j] − m)`, with `m = max(y)`.
///
/// Subtracting the maximum changes nothing mathematically (it cancels between
/// numerator and denominator) but keeps every exponent ≤ 0, so `exp` cannot
/// overflow, and one term is exactly 1, so the sum cannot be 0.
/// Shapes: `y`, `p`: the same length (if not, the softmax of the shorter
/// length's first elements; empty: nothing to do).
///
/// ```
/// use min_char_rnn::activation::softmax;
/// let mut p = [0.0f64; 3];
/// softmax(&[1000.0, 1000.0, 1000.0], &mut p); // naive exp(1000) = inf
/// assert_eq!(p, [1.0 / 3.0; 3]);
/// ```
pub fn softmax<F: Float>(y: &[F], p: &mut [F]) {
    let n = y.len().min(p.len());
    let (y, p) = (&y[..n], &mut p[..n]);
    let Some(&y_0) = y.first() else { return };
    let m = y.iter().fold(y_0, |m, &y_i| m.max(y_i));
    let mut sum = F::ZERO;
    for (p_i, &y_i) in p.iter_mut().zip(y) {
        *p_i = (y_i - m).exp();
        sum += *p_i;
    }
    for p_i in p.iter_mut() {
        *p_i /= sum;
    }
}
// ANCHOR_END: F3_softmax

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let y = [1.0f64, -2.0, 3.0, 0.5];
        let mut p = [0.0; 4];
        softmax(&y, &mut p);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(p[2] > p[0] && p[0] > p[3] && p[3] > p[1]);
        let z: f64 = y.iter().map(|v| v.exp()).sum();
        assert!((p[2] - 3.0f64.exp() / z).abs() < 1e-15);
    }

    #[test]
    fn softmax_survives_huge_logits() {
        let mut p = [0.0f32; 2];
        softmax(&[-1e30, 1e30], &mut p);
        assert_eq!(p, [0.0, 1.0]);
    }

    #[test]
    fn tanh_in_place_is_tanh() {
        let mut h = [-20.0f64, -0.5, 0.0, 0.5, 20.0];
        tanh_in_place(&mut h);
        assert_eq!(
            h,
            [-1.0, -0.46211715726000974, 0.0, 0.46211715726000974, 1.0]
        );
    }
}
