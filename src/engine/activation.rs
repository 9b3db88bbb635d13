//! tanh and softmax for the engine: the textbook's
//! [`activation`](crate::activation) with the vectorisable functions of
//! [`approx`] in place of `libm`'s calls.

use super::approx;
use super::float::FastFloat as Float;
use crate::error::Error;
use crate::forward::out_of_range;

// ANCHOR: tanh_in_place
/// `h[i] = tanh(h[i])` for every element, in place.
///
/// Uses the branch-free [`approx::tanh`] (within 3 ulp of libm's), so the loop
/// runs 8 or 16 elements at a time.
#[inline]
pub fn tanh_in_place<F: Float>(h: &mut [F]) {
    for hi in h {
        *hi = approx::tanh(*hi);
    }
}
// ANCHOR_END: tanh_in_place

// ANCHOR: softmax
/// `p = softmax(y)`: `p[i] = exp(y[i] − m) / Σ_j exp(y[j] − m)`, with `m = max(y)`.
///
/// Subtracting the maximum changes nothing mathematically (it cancels between
/// numerator and denominator) but keeps every exponent ≤ 0, so `exp` cannot
/// overflow and at least one term is exactly 1, so the sum cannot be 0. It also
/// means only e^x for x ≤ 0 is needed: [`approx::exp_nonpositive`].
///
/// ```
/// use min_char_rnn::engine::activation::softmax;
/// let mut p = [0.0f64; 3];
/// softmax(&[1000.0, 1000.0, 1000.0], &mut p); // naive exp(1000) = inf
/// assert_eq!(p, [1.0 / 3.0; 3]);
/// ```
///
/// Three separate passes (exponentials, their sum, the scaling) rather than
/// one, because a running sum in the same loop would stop the exponentials
/// from being computed several at a time.
/// Shapes: as [`activation::softmax`](crate::activation::softmax).
#[inline]
pub fn softmax<F: Float>(y: &[F], p: &mut [F]) {
    let n = y.len().min(p.len());
    if n > 0 {
        normalised_exponentials(&y[..n], &mut p[..n]);
    }
}

/// `p[i] = e^(y[i] − m) / Σ`; returns `m = max y` and `Σ = Σ_j e^(y[j] − m)`.
/// Shapes: `y`, `p`: the same length, at least 1.
#[inline(always)]
fn normalised_exponentials<F: Float>(y: &[F], p: &mut [F]) -> (F, F) {
    let m = max(y);
    for (pi, &yi) in p.iter_mut().zip(y) {
        *pi = approx::exp_nonpositive(yi - m);
    }
    let total = sum(p);
    let inv = F::ONE / total;
    for pi in p.iter_mut() {
        *pi *= inv;
    }
    (m, total)
}
// ANCHOR_END: softmax

/// [`softmax`], and F4's loss `−ln p[target]` from the same exponentials, as
/// [`forward::loss_forward`](crate::forward::loss_forward) computes it: `ln Σ
/// − (y[target] − max y)`, finite whenever the logits are and lie within the
/// largest float of each other. Shapes: `y`, `p`:
/// the same length; `target` below it.
///
/// Errors: [`Error::IndexOutOfRange`] if `target` is not below both lengths
/// (`p` is then unchanged).
#[inline]
pub fn softmax_and_loss<F: Float>(y: &[F], p: &mut [F], target: usize) -> Result<F, Error> {
    let n = y.len().min(p.len());
    let &y_target = y[..n].get(target).ok_or(out_of_range(target, n))?;
    let (m, total) = normalised_exponentials(&y[..n], &mut p[..n]);
    Ok(total.ln() - (y_target - m))
}

/// Eight independent running values: the shape of a vector register, and no
/// dependence of one step on the last. (Empty input: the first argument.)
#[inline(always)]
fn fold8<F: Float>(x: &[F], start: F, op: impl Fn(F, F) -> F) -> F {
    let mut acc = [start; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = op(*a, v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a = op(*a, v);
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    op(op(op(a0, a4), op(a1, a5)), op(op(a2, a6), op(a3, a7)))
}

/// The largest element (`y` must not be empty).
#[inline]
fn max<F: Float>(y: &[F]) -> F {
    fold8(y, y[0], F::max)
}

/// The sum of the elements, in eight interleaved partial sums.
#[inline]
fn sum<F: Float>(x: &[F]) -> F {
    fold8(x, F::ZERO, |a, b| a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Equal to the teaching layer's softmax and tanh: tests/engine_equals_reference.rs.

    #[test]
    fn softmax_survives_huge_logits_and_the_loss_stays_finite() {
        let mut p = [0.0f32; 2];
        softmax(&[-1e30, 1e30], &mut p);
        assert_eq!(p, [0.0, 1.0]);
        // p[0] is 0, so −ln p[0] is infinite; the loss is the logit gap.
        assert_eq!(softmax_and_loss(&[-1e30, 1e30], &mut p, 0), Ok(2e30));
    }
}
