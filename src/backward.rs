//! Backpropagation through time over one window: B1 to B6 of the book.
//!
//! The forward pass went F1 → F2 → F3/F4 at each step, t = 0 up to T−1; the
//! backward pass undoes it in exactly the reverse order, t = T−1 down to 0,
//! and within a step from the loss back to the input:
//!
//! | forward, step t | backward, step t |
//! |---|---|
//! | F3 softmax, F4 loss | B1 [`softmax_loss_backward`]: dy |
//! | F2 `y = Why h + by` | B2 [`logits_weights_backward`]: dWhy, dby; B3 [`logits_backward`]: dh |
//! | F1 tanh | B4 [`tanh_backward`]: dhraw |
//! | F1 `Wxh x + Whh h_prev + bh` | B5 [`hidden_weights_backward`]: dbh, dWxh, dWhh; B6 [`hidden_backward`]: dhnext |
//!
//! It must run backward in time because the gradient reaching h_t depends on
//! every later step: it arrives from step t+1 as `dhnext`.

use crate::error::Error;
use crate::float::Float;
use crate::forward::{Cache, check_window, out_of_range};
use crate::matrix::{Vector, add_outer, axpy, matvec_transposed_add};
use crate::params::Params;

// ANCHOR: B1_dy
/// B1: `dy = p − one_hot(target)`, the gradient of `−ln p[target]` with respect
/// to the logits y. Shapes: `p`, `dy`: V; `target` in 0..V.
///
/// Errors: [`Error::IndexOutOfRange`] if `target >= V` (`dy` is then unchanged).
pub fn softmax_loss_backward<F: Float, const V: usize>(
    p: &Vector<F, V>,
    target: usize,
    dy: &mut Vector<F, V>,
) -> Result<(), Error> {
    let p_target = p.get(target).ok_or(out_of_range(target, V))?;
    *dy = *p; //                      dy = p
    dy[target] = *p_target - F::ONE; // dy = p − one_hot(target)
    Ok(())
}
// ANCHOR_END: B1_dy

// ANCHOR: B2_dWhy
/// B2, the mirror of F2 (`y = Why h + by`) for its parameters:
/// `dWhy += dy hᵀ`, `dby += dy`. Shapes: `dy`: V; `h`: H.
#[allow(non_snake_case)] // dWhy, dby: the book's symbols
pub fn logits_weights_backward<F: Float, const V: usize, const H: usize>(
    dy: &Vector<F, V>,
    h: &Vector<F, H>,
    grads: &mut Params<F, V, H>,
) {
    let Params {
        Why: dWhy, by: dby, ..
    } = grads;
    add_outer(dWhy, dy, h); //  dWhy += dy hᵀ
    axpy(F::ONE, dy, dby); //   dby  += dy
}
// ANCHOR_END: B2_dWhy

// ANCHOR: B3_dh
/// B3, the mirror of F2 for the hidden state: `dh = Whyᵀ dy + dhnext`, the
/// gradient reaching h_t from its own output and from step t+1.
/// Shapes: `dy`: V; `dhnext`, `dh`: H.
#[allow(non_snake_case)] // Why: the book's symbol
pub fn logits_backward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    dy: &Vector<F, V>,
    dhnext: &Vector<F, H>,
    dh: &mut Vector<F, H>,
) {
    *dh = *dhnext; //                              dh = dhnext
    matvec_transposed_add(&params.Why, dy, dh); // dh = Whyᵀ dy + dhnext
}
// ANCHOR_END: B3_dh

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

// ANCHOR: B5_dW
/// B5, the mirror of F1's `Wxh x + Whh h_prev + bh` for its parameters:
/// `dbh += dhraw`, `dWxh += dhraw xᵀ`, `dWhh += dhraw h_prevᵀ`.
/// Shapes: `dhraw`, `h_prev`: H; `x`: index in 0..V.
///
/// Errors: [`Error::IndexOutOfRange`] if `x >= V` (`grads` is then unchanged).
#[allow(non_snake_case)] // dWxhT, dWhh, dbh: the book's symbols
pub fn hidden_weights_backward<F: Float, const V: usize, const H: usize>(
    dhraw: &Vector<F, H>,
    x: usize,
    h_prev: &Vector<F, H>,
    grads: &mut Params<F, V, H>,
) -> Result<(), Error> {
    let Params {
        WxhT: dWxhT,
        Whh: dWhh,
        bh: dbh,
        ..
    } = grads;
    let dWxh_x = dWxhT.get_mut(x).ok_or(out_of_range(x, V))?;
    axpy(F::ONE, dhraw, dWxh_x); //   dWxh += dhraw xᵀ: x one-hot, so only
    //                                   column x of dWxh (row x of dWxhT)
    axpy(F::ONE, dhraw, dbh); //      dbh  += dhraw
    add_outer(dWhh, dhraw, h_prev); // dWhh += dhraw h_prevᵀ
    Ok(())
}
// ANCHOR_END: B5_dW

// ANCHOR: B6_dhnext
/// B6, the mirror of F1's `Whh h_prev`: `dhnext = Whhᵀ dhraw`, the gradient
/// handed back to step t−1. Shapes: `dhraw`, `dhnext`: H.
#[allow(non_snake_case)] // Whh: the book's symbol
pub fn hidden_backward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    dhraw: &Vector<F, H>,
    dhnext: &mut Vector<F, H>,
) {
    *dhnext = [F::ZERO; H];
    matvec_transposed_add(&params.Whh, dhraw, dhnext); // dhnext = Whhᵀ dhraw
}
// ANCHOR_END: B6_dhnext

// ANCHOR: backward_loop
/// Backpropagation through time over the window that
/// [`forward`](crate::forward::forward) just ran: overwrites `grads` with
/// dL/dθ for all five tensors (unclipped).
///
/// Shapes: `hprev`: H, the h_{-1} the forward pass started from; `targets`: T
/// indices, as given to the forward pass; `vocab_size` as there. Reads
/// `cache` as the forward pass left it.
///
/// Errors: as [`check_window`], for `cache.xs` and `targets`.
pub fn backward<F: Float, const V: usize, const H: usize, const T: usize>(
    params: &Params<F, V, H>,
    vocab_size: usize,
    cache: &Cache<F, V, H, T>,
    targets: &[usize; T],
    hprev: &Vector<F, H>,
    grads: &mut Params<F, V, H>,
) -> Result<(), Error> {
    check_window::<V>(vocab_size, &cache.xs, targets)?;
    let Cache { xs, hs, ps } = cache;
    grads.fill_zero();
    let mut dhnext = [F::ZERO; H]; // nothing flows back from beyond the window
    for t in (0..T).rev() {
        let h_prev = if t == 0 { hprev } else { &hs[t - 1] }; // h_{-1} = hprev
        let (mut dy, mut dh, mut dhraw) = ([F::ZERO; V], [F::ZERO; H], [F::ZERO; H]);
        softmax_loss_backward(&ps[t], targets[t], &mut dy)?; // B1: dy_t
        logits_weights_backward(&dy, &hs[t], grads); //       B2: dWhy, dby
        logits_backward(params, &dy, &dhnext, &mut dh); //    B3: dh_t
        tanh_backward(&hs[t], &dh, &mut dhraw); //            B4: dhraw_t
        hidden_weights_backward(&dhraw, xs[t], h_prev, grads)?; // B5: dbh, dWxh, dWhh
        hidden_backward(params, &dhraw, &mut dhnext); //      B6: dhnext for t − 1
    }
    Ok(())
}
// ANCHOR_END: backward_loop

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dy_is_p_minus_one_hot() {
        let mut dy = [0.0; 3];
        softmax_loss_backward(&[0.2f64, 0.5, 0.3], 1, &mut dy).unwrap();
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
    fn one_step_by_hand() {
        // V = 2, H = 1, T = 1, as in forward's test: dL/dby by hand.
        let mut params = Params::<f64, 2, 1>::ZERO;
        params.Why = [[1.0], [-1.0]];
        let mut cache = Cache::<f64, 2, 1, 1>::ZERO;
        cache.ps = [[0.25, 0.75]];
        cache.hs = [[0.5]];
        let mut grads = Params::ZERO;
        backward(&params, 2, &cache, &[0], &[0.2], &mut grads).unwrap();
        assert_eq!(grads.by, [-0.75, 0.75]); // p − one_hot(0)
        assert_eq!(grads.Why, [[-0.375], [0.375]]); // dy hᵀ
        let dhraw = (1.0 - 0.25) * (-0.75 - 0.75); // (1 − h²) Whyᵀ dy
        assert_eq!(
            (grads.bh, grads.WxhT[0], grads.Whh),
            ([dhraw], [dhraw], [[dhraw * 0.2]])
        );
    }

    #[test]
    fn bad_target_is_an_error() {
        let params = Params::<f64, 3, 2>::ZERO;
        let mut grads = Params::<f64, 3, 2>::ZERO;
        let cache = Cache::<f64, 3, 2, 1>::ZERO;
        assert_eq!(
            backward(&params, 3, &cache, &[7], &[0.0; 2], &mut grads),
            Err(Error::IndexOutOfRange {
                index: 7,
                vocab_size: 3
            })
        );
    }
}
