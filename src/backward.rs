//! Backpropagation through time over one window: B1 to B6 of the book.
//!
//! Three parts. First what does not depend on later steps: B1 and the product
//! `Whyᵀ dy_t` of B3, for every t at once. Then the recurrence, which must run
//! backward in time because the gradient reaching h_t depends on every later
//! step: for t = T−1 down to 0, the rest of B3 (`+ dhnext`) → B4 → B6, the
//! mirror images of F2 → F1's tanh → F1's matrix product. Then the weight
//! gradients B2 and B5: the weights are shared by all T steps, so their
//! gradients are sums over t of per-step outer products, which can be added up
//! in any order once every dy_t and dhraw_t is known. Summed afterwards, row by
//! row, each gradient row stays in registers across all T steps instead of
//! being read and written T times.
//!
//! | forward (t = 0..T) | backward |
//! |---|---|
//! | F3 softmax, F4 loss | B1 [`softmax_loss_backward`] (first) |
//! | F2 `y = Why h + by` | B3 [`logits_backward_batch`] (first), `+ dhnext` (recurrence); B2 (sums) |
//! | F1 tanh | B4 [`tanh_backward`] (recurrence) |
//! | F1 `Wxh x + Whh h_prev + bh` | B6 [`hidden_backward`] (recurrence); B5 (sums) |

use crate::error::Error;
use crate::float::Float;
use crate::forward::{Cache, check_indices};
use crate::matrix::{
    RowOrder, Vector, add_outer, axpy, matmat_transposed_add, matvec_transposed_add,
    matvec_transposed_add_ordered, sum_outer,
};
use crate::params::Params;

// ANCHOR: B1_dy
/// B1: `dy = p − one_hot(target)`, the gradient of `−ln p[target]` with respect
/// to the logits y, computed in place: `p` becomes `dy`. Shapes: `p`: V;
/// `target` in 0..V.
pub fn softmax_loss_backward<F: Float, const V: usize>(p: &mut Vector<F, V>, target: usize) {
    p[target] -= F::ONE;
}
// ANCHOR_END: B1_dy

/// B3, the mirror of F2 (`y = Why h + by`) for the hidden state: adds this
/// step's share `Whyᵀ dy` to `dh`. Shapes: `dy`: V; `dh`: H. On entry `dh`
/// holds `dhnext`, the gradient that flows back into h_t from step t+1.
#[allow(non_snake_case)] // Why: the book's symbol
pub fn logits_backward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    dy: &Vector<F, V>,
    dh: &mut Vector<F, H>,
) {
    let Params { Why, .. } = params;
    // ANCHOR: B3_dh
    matvec_transposed_add(Why, dy, dh); // dh = Whyᵀ dy + dhnext
    // ANCHOR_END: B3_dh
}

/// B3's product for a whole window at once: `dhs[t] = Whyᵀ dys[t]` for every t
/// (overwriting `dhs`), the share of each dh_t that comes from its own output.
///
/// Every dy_t = p_t − one_hot(target_t) is known as soon as the forward pass
/// is done, so these T products are outside the backward recurrence, which
/// then only adds dhnext. Shapes: `dys`: T×V; `dhs`: T×H.
#[allow(non_snake_case)] // Why: the book's symbol
pub fn logits_backward_batch<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    dys: &[Vector<F, V>],
    dhs: &mut [Vector<F, H>],
) {
    // ANCHOR: B3_dh_fast
    for dh in dhs.iter_mut() {
        dh.fill(F::ZERO);
    }
    matmat_transposed_add(&params.Why, dys, dhs); // dhs[t] = Whyᵀ dys[t], every t
    // ANCHOR_END: B3_dh_fast
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

/// B6, the mirror of F1's `Whh h_prev`: `dhnext = Whhᵀ dhraw`, the gradient
/// handed to step t−1. `order` is the order in which the rows of `Whh` are
/// read (it changes only the rounding); [`backward`] alternates it from step
/// to step, see [`RowOrder`]. Shapes: `dhraw`, `dhnext`: H.
#[allow(non_snake_case)] // Whh: the book's symbol
pub fn hidden_backward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    dhraw: &Vector<F, H>,
    dhnext: &mut Vector<F, H>,
    order: RowOrder,
) {
    let Params { Whh, .. } = params;
    // ANCHOR: B6_dhnext
    dhnext.fill(F::ZERO);
    matvec_transposed_add_ordered(Whh, dhraw, dhnext, order); // dhnext = Whhᵀ dhraw
    // ANCHOR_END: B6_dhnext
}

/// B2 and B5: the gradients of the weights and biases, each a sum over the
/// window's T steps. Overwrites `grads`. Shapes: as [`backward`].
#[allow(non_snake_case)] // dWxhT, dWhh, dWhy, dbh, dby: the book's symbols
pub fn weight_gradients<F: Float, const V: usize, const H: usize, const T: usize>(
    cache: &Cache<F, V, H, T>,
    hprev: &Vector<F, H>,
    grads: &mut Params<F, V, H>,
) {
    let Params {
        WxhT: dWxhT,
        Whh: dWhh,
        Why: dWhy,
        bh: dbh,
        by: dby,
    } = grads;
    let (dys, hs, dhraws) = (&cache.ps, &cache.hs, &cache.dhraws);
    // ANCHOR: B2_dWhy
    sum_outer(dWhy, dys, hs); //     dWhy = Σ_t dy_t h_tᵀ
    dby.fill(F::ZERO);
    for dy in dys.iter().rev() {
        axpy(F::ONE, dy, dby); //        dby  = Σ_t dy_t
    }
    // ANCHOR_END: B2_dWhy
    // ANCHOR: B5_dW
    sum_outer(dWhh, &dhraws[1..], &hs[..T - 1]); // dWhh = Σ_t dhraw_t h_{t-1}ᵀ, t ≥ 1,
    add_outer(dWhh, &dhraws[0], hprev); //         plus t = 0, where h_{-1} = hprev
    dbh.fill(F::ZERO);
    for row in dWxhT.iter_mut() {
        row.fill(F::ZERO);
    }
    for (dhraw, &x) in dhraws.iter().zip(&cache.xs).rev() {
        axpy(F::ONE, dhraw, dbh); //       dbh  = Σ_t dhraw_t
        axpy(F::ONE, dhraw, &mut dWxhT[x]); // dWxh = Σ_t dhraw_t x_tᵀ: x_t one-hot, so
    } //                                      only column x_t, row x_t of dWxhT, changes
    // ANCHOR_END: B5_dW
}

/// Backpropagation through time over the window that [`forward`](crate::forward)
/// just ran: overwrites `grads` with dL/dθ for all five tensors (unclipped).
///
/// Shapes: `hprev`: H, the h_{-1} the forward pass started from; `targets`: T
/// indices in 0..V, as given to the forward pass. Uses `cache` as scratch: on
/// return `cache.ps[t]` holds dy_t = p_t − one_hot(target_t) and
/// `cache.dhraws[t]` holds dhraw_t.
///
/// Errors: [`Error::IndexOutOfRange`] if an index in `targets` or `cache.xs` is
/// not below V.
pub fn backward<F: Float, const V: usize, const H: usize, const T: usize>(
    params: &Params<F, V, H>,
    cache: &mut Cache<F, V, H, T>,
    hprev: &Vector<F, H>,
    targets: &[usize; T],
    grads: &mut Params<F, V, H>,
) -> Result<(), Error> {
    const { assert!(T > 0, "a window has at least one step") };
    check_indices::<V>(&cache.xs)?;
    check_indices::<V>(targets)?;
    // ANCHOR: backward_loop
    for (dy, &target) in cache.ps.iter_mut().zip(targets) {
        softmax_loss_backward(dy, target); // B1 for every t: ps[t] becomes dy_t
    }
    logits_backward_batch(params, &cache.ps, &mut cache.dhraws); // B3's Whyᵀ dy_t, every t
    let mut dhnext = [F::ZERO; H]; // nothing flows back from beyond the window
    for t in (0..T).rev() {
        let mut dh = dhnext;
        axpy(F::ONE, &cache.dhraws[t], &mut dh); //               B3: dh = Whyᵀ dy_t + dhnext
        tanh_backward(&cache.hs[t].0, &dh, &mut cache.dhraws[t]); // B4
        if t > 0 {
            // B6; at t = 0 it would flow into hprev, outside the window
            let order = RowOrder::alternating(t);
            hidden_backward(params, &cache.dhraws[t], &mut dhnext, order);
        }
    }
    weight_gradients(cache, hprev, grads); //                   B2, B5
    // ANCHOR_END: backward_loop
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dy_is_p_minus_one_hot() {
        let mut dy = [0.2f64, 0.5, 0.3];
        softmax_loss_backward(&mut dy, 1);
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
    fn batched_b3_is_the_step_by_step_b3() {
        let mut rng = crate::rng::Rng::new(6);
        let params = Params::<f64, 7, 9>::new(&mut rng);
        let dys: [[f64; 7]; 5] = core::array::from_fn(|_| core::array::from_fn(|_| rng.normal()));
        let mut dhs = [[1.0; 9]; 5]; // overwritten
        logits_backward_batch(&params, &dys, &mut dhs);
        for (dy, dh) in dys.iter().zip(&dhs) {
            let mut one = [0.0; 9];
            logits_backward(&params, dy, &mut one);
            assert_eq!(*dh, one);
        }
    }

    #[test]
    fn bad_target_is_an_error() {
        let params = Params::<f64, 3, 2>::ZERO;
        let mut grads = Params::<f64, 3, 2>::ZERO;
        let mut cache = Cache::<f64, 3, 2, 1>::ZERO;
        assert_eq!(
            backward(&params, &mut cache, &[0.0; 2], &[7], &mut grads),
            Err(Error::IndexOutOfRange {
                index: 7,
                vocab_size: 3
            })
        );
    }
}
