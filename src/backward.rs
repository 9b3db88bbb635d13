//! Backpropagation through time over one window: B1 to B6 of the book.
//!
//! Each function is the mirror of one in `forward.rs`, and [`backward`] calls
//! them in exactly the reverse order, for t = T−1 down to 0:
//!
//! | forward (t = 0..T) | backward (t = T−1..0) |
//! |---|---|
//! | F3 softmax + F4 loss | B1 [`softmax_loss_backward`] |
//! | F2 [`logits_forward`](crate::logits_forward) | B2, B3 [`logits_backward`] |
//! | F1 tanh | B4 [`tanh_backward`] |
//! | F0, F1 affine | B5, B6 [`hidden_backward`] |

use crate::error::Error;
use crate::float::Float;
use crate::forward::{Cache, check_indices};
use crate::matrix::{Vector, add_outer, axpy, matvec_transposed_add};
use crate::params::Params;

// ANCHOR: B1_dy
/// B1: `dy = p − one_hot(target)`, the gradient of `−ln p[target]` with respect
/// to the logits y. Shapes: `p`, `dy`: V; `target` in 0..V.
pub fn softmax_loss_backward<F: Float, const V: usize>(
    p: &Vector<F, V>,
    target: usize,
    dy: &mut Vector<F, V>,
) {
    *dy = *p;
    dy[target] -= F::ONE;
}
// ANCHOR_END: B1_dy

/// B2 and B3, the mirror of F2 (`y = Why h + by`): accumulates `dWhy += dy hᵀ`
/// and `dby += dy`, and adds this step's share `Whyᵀ dy` to `dh`.
///
/// Shapes: `h`, `dh`: H; `dy`: V. On entry `dh` holds `dhnext`, the gradient
/// that flows back into h_t from step t+1.
#[allow(non_snake_case)] // Why, dWhy, dby: the book's symbols
pub fn logits_backward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    grads: &mut Params<F, V, H>,
    h: &Vector<F, H>,
    dy: &Vector<F, V>,
    dh: &mut Vector<F, H>,
) {
    let Params { Why, .. } = params;
    let Params {
        Why: dWhy, by: dby, ..
    } = grads;
    // ANCHOR: B2_dWhy
    add_outer(dWhy, dy, h); // dWhy += dy hᵀ
    axpy(F::ONE, dy, dby); //  dby  += dy
    // ANCHOR_END: B2_dWhy
    // ANCHOR: B3_dh
    matvec_transposed_add(Why, dy, dh); // dh = Whyᵀ dy + dhnext
    // ANCHOR_END: B3_dh
}

// ANCHOR: B4_dhraw
/// B4, the mirror of F1's tanh: `dhraw = (1 − h ⊙ h) ⊙ dh`, because
/// tanh′(a) = 1 − tanh(a)², and h = tanh(a) is already at hand.
/// Shapes: all H.
pub fn tanh_backward<F: Float, const H: usize>(
    h: &Vector<F, H>,
    dh: &Vector<F, H>,
    dhraw: &mut Vector<F, H>,
) {
    for ((dhraw_i, &h_i), &dh_i) in dhraw.iter_mut().zip(h).zip(dh) {
        *dhraw_i = (F::ONE - h_i * h_i) * dh_i;
    }
}
// ANCHOR_END: B4_dhraw

/// B5 and B6, the mirror of F0/F1's affine part (`Wxh x + Whh h_prev + bh`):
/// accumulates `dbh += dhraw`, `dWxh += dhraw xᵀ`, `dWhh += dhraw h_prevᵀ`, and
/// sets `dhnext = Whhᵀ dhraw`, the gradient handed to step t−1.
///
/// Shapes: `x`: index in 0..V; `h_prev`, `dhraw`, `dhnext`: H.
#[allow(non_snake_case)] // Whh, dWxh, dWhh, dbh: the book's symbols
pub fn hidden_backward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    grads: &mut Params<F, V, H>,
    x: usize,
    h_prev: &Vector<F, H>,
    dhraw: &Vector<F, H>,
    dhnext: &mut Vector<F, H>,
) {
    let Params { Whh, .. } = params;
    let Params {
        Wxh: dWxh,
        Whh: dWhh,
        bh: dbh,
        ..
    } = grads;
    // ANCHOR: B5_dW
    axpy(F::ONE, dhraw, dbh); // dbh += dhraw
    for (dWxh_i, &dhraw_i) in dWxh.iter_mut().zip(dhraw) {
        dWxh_i[x] += dhraw_i; // dWxh += dhraw xᵀ: one column, x is one-hot
    }
    add_outer(dWhh, dhraw, h_prev); // dWhh += dhraw h_prevᵀ
    // ANCHOR_END: B5_dW
    // ANCHOR: B6_dhnext
    dhnext.fill(F::ZERO);
    matvec_transposed_add(Whh, dhraw, dhnext); // dhnext = Whhᵀ dhraw
    // ANCHOR_END: B6_dhnext
}

/// Backpropagation through time over the window that [`forward`](crate::forward)
/// just ran: overwrites `grads` with dL/dθ for all five tensors (unclipped).
///
/// Shapes: `hprev`: H, the h_{-1} the forward pass started from; `targets`: T
/// indices in 0..V, as given to the forward pass.
///
/// Errors: [`Error::IndexOutOfRange`] if an index in `targets` or `cache.xs` is
/// not below V.
pub fn backward<F: Float, const V: usize, const H: usize, const T: usize>(
    params: &Params<F, V, H>,
    cache: &Cache<F, V, H, T>,
    hprev: &Vector<F, H>,
    targets: &[usize; T],
    grads: &mut Params<F, V, H>,
) -> Result<(), Error> {
    check_indices::<V>(&cache.xs)?;
    check_indices::<V>(targets)?;
    grads.fill_zero();
    // ANCHOR: backward_loop
    let mut dhnext = [F::ZERO; H]; // nothing flows back from beyond the window
    for t in (0..T).rev() {
        let h = &cache.hs[t];
        let h_prev = if t == 0 { hprev } else { &cache.hs[t - 1] };
        let mut dy = [F::ZERO; V];
        softmax_loss_backward(&cache.ps[t], targets[t], &mut dy); //     B1
        let mut dh = dhnext;
        logits_backward(params, grads, h, &dy, &mut dh); //               B2, B3
        let mut dhraw = [F::ZERO; H];
        tanh_backward(h, &dh, &mut dhraw); //                             B4
        hidden_backward(params, grads, cache.xs[t], h_prev, &dhraw, &mut dhnext); // B5, B6
    }
    // ANCHOR_END: backward_loop
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dy_is_p_minus_one_hot() {
        let mut dy = [0.0f64; 3];
        softmax_loss_backward(&[0.2, 0.5, 0.3], 1, &mut dy);
        assert_eq!(dy, [0.2, -0.5, 0.3]);
        assert!(dy.iter().sum::<f64>().abs() < 1e-15); // Σ p = 1, so Σ dy = 0
    }

    #[test]
    fn tanh_backward_is_the_derivative() {
        let a = 0.7f64;
        let mut dhraw = [0.0];
        tanh_backward(&[a.tanh()], &[1.0], &mut dhraw);
        let numeric = ((a + 1e-6).tanh() - (a - 1e-6).tanh()) / 2e-6;
        assert!((dhraw[0] - numeric).abs() < 1e-9);
    }

    #[test]
    fn bad_target_is_an_error() {
        let params = Params::<f64, 3, 2>::ZERO;
        let mut grads = Params::<f64, 3, 2>::ZERO;
        let cache = Cache::<f64, 3, 2, 1>::ZERO;
        assert_eq!(
            backward(&params, &cache, &[0.0; 2], &[7], &mut grads),
            Err(Error::IndexOutOfRange {
                index: 7,
                vocab_size: 3
            })
        );
    }
}
