//! The forward pass over one window of `T` characters: F0 to F5 of the book.
//!
//! Each step is a small function; [`forward`] calls them in order for t = 0..T,
//! and `backward.rs` calls their mirrors in exactly the reverse order.

use core::borrow::Borrow;

use crate::activation::{softmax, tanh_in_place};
use crate::error::Error;
use crate::float::Float;
use crate::matrix::{
    Row, RowOrder, Vector, matmat_transposed_add, matvec_add, matvec_transposed_add_ordered,
    transpose,
};
use crate::params::Params;

/// What the forward pass keeps for the backward pass, and the backward pass's
/// own per-step results: one window of `T` steps.
///
/// Memory: `T` indices plus T·(2H + V) + H·(H + V) floats, rounded up to a
/// multiple of 16 bytes: like [`Params`], a cache is aligned to 16 bytes so
/// that vector loads of its rows stay within cache lines.
#[allow(non_snake_case)] // WhhT, WhyT: the book's symbols, transposed
#[derive(Clone, Debug, PartialEq)]
#[repr(align(16))]
pub struct Cache<F, const V: usize, const H: usize, const T: usize> {
    /// `xs[t]`: the input symbol at step t (the index of the 1 in the one-hot x_t).
    pub xs: [usize; T],
    /// `hs[t]`: the hidden state h_t, H floats. (h_{-1} is `hprev`, kept apart.)
    pub hs: [Row<F, H>; T],
    /// `ps[t]`: the predicted distribution p_t over the next symbol, V floats;
    /// the backward pass turns it into dy_t = p_t − one_hot(target_t) in place.
    pub ps: [Vector<F, V>; T],
    /// `dhraws[t]`: the backward pass's dhraw_t, the gradient at the input of
    /// step t's tanh, H floats.
    pub dhraws: [Vector<F, H>; T],
    /// Whhᵀ, H×H, copied from the parameters at the start of every forward pass.
    pub WhhT: [Row<F, H>; H],
    /// Whyᵀ, H×V, likewise.
    pub WhyT: [Row<F, V>; H],
}

impl<F: Float, const V: usize, const H: usize, const T: usize> Cache<F, V, H, T> {
    /// All zeros, usable in a `static`.
    pub const ZERO: Self = Cache {
        xs: [0; T],
        hs: [Row([F::ZERO; H]); T],
        ps: [[F::ZERO; V]; T],
        dhraws: [[F::ZERO; H]; T],
        WhhT: [Row([F::ZERO; H]); H],
        WhyT: [Row([F::ZERO; V]); H],
    };
}

/// Checks that every index names one of the `V` symbols.
pub(crate) fn check_indices<const V: usize>(indices: &[usize]) -> Result<(), Error> {
    match indices.iter().find(|&&i| i >= V) {
        Some(&index) => Err(Error::IndexOutOfRange {
            index,
            vocab_size: V,
        }),
        None => Ok(()),
    }
}

/// F0: `h = Wxh x + bh` for the one-hot input `x`, the first two terms of F1.
/// Shapes: `x`: index in 0..V; `h`: H.
#[allow(non_snake_case)] // WxhT: the book's symbol, transposed
fn input_and_bias<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    x: usize,
    h: &mut Vector<F, H>,
) {
    let Params { WxhT, bh, .. } = params;
    // ANCHOR: F0_onehot
    // Wxh x_t with a one-hot x_t is column x of Wxh, i.e. row x of WxhT:
    // H contiguous reads, not H·V multiply-adds.
    for ((h_i, &Wxh_ix), &bh_i) in h.iter_mut().zip(&WxhT[x]).zip(bh) {
        *h_i = Wxh_ix + bh_i;
    }
    // ANCHOR_END: F0_onehot
}

/// F0 and F1: the new hidden state `h = tanh(Wxh x + Whh h_prev + bh)`.
///
/// Shapes: `x`: one-hot index in 0..V, `h_prev`, `h`: H. Panics if `x >= V`
/// ([`forward`] checks its indices first).
pub fn hidden_forward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    x: usize,
    h_prev: &Vector<F, H>,
    h: &mut Vector<F, H>,
) {
    input_and_bias(params, x, h); // h = Wxh x + bh
    // ANCHOR: F1_h
    matvec_add(&params.Whh, h_prev, h); // h = Wxh x + bh + Whh h_prev
    tanh_in_place(h); //                 h = tanh(...)
    // ANCHOR_END: F1_h
}

/// F0 and F1 as the training pass computes them: `Whh h_prev` as `(Whhᵀ)ᵀ h_prev`,
/// from the transposed copy `WhhT`.
///
/// The same numbers as [`hidden_forward`] up to rounding (tested), but the
/// product becomes a sum of the rows of `WhhT` weighted by `h_prev[j]`:
/// contiguous, independent multiply-adds that the compiler vectorises
/// reliably, where the row-times-vector form needs a horizontal sum per row.
/// `order` is the order in which the rows are read (it changes only the
/// rounding); [`forward`] alternates it from step to step, see [`RowOrder`].
/// Shapes: `WhhT`: H×H; `x`: index in 0..V; `h_prev`, `h`: H.
#[allow(non_snake_case)] // WhhT: the book's symbol, transposed
pub fn hidden_forward_transposed<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    WhhT: &[Row<F, H>; H],
    x: usize,
    h_prev: &Vector<F, H>,
    h: &mut Vector<F, H>,
    order: RowOrder,
) {
    input_and_bias(params, x, h); // h = Wxh x + bh
    // ANCHOR: F1_h_fast
    matvec_transposed_add_ordered(WhhT, h_prev, h, order); // h = Wxh x + bh + Whh h_prev
    tanh_in_place(h);
    // ANCHOR_END: F1_h_fast
}

/// F2: the logits `y = Why h + by`, one unnormalised score per symbol.
///
/// Shapes: `h`: H, `y`: V.
#[allow(non_snake_case)] // Why: the book's symbol
pub fn logits_forward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    h: &Vector<F, H>,
    y: &mut Vector<F, V>,
) {
    let Params { Why, by, .. } = params;
    // ANCHOR: F2_y
    *y = *by;
    matvec_add(Why, h, y);
    // ANCHOR_END: F2_y
}

/// F2 for a whole window at once, as the training pass computes it: `ys[t] =
/// Why hs[t] + by` for every t, from `WhyT` = Whyᵀ.
///
/// The logits are not part of the recurrence (h_{t+1} needs h_t, not y_t), so
/// once the hidden states are known all T products can share each read of
/// `WhyT` from memory ([`matmat_transposed_add`]), a sum of rows of `WhyT`
/// like [`hidden_forward_transposed`]. The same numbers as [`logits_forward`]
/// step by step, up to rounding (tested).
/// Shapes: `WhyT`: H×V; `hs`: T×H; `ys`: T×V.
#[allow(non_snake_case)] // WhyT: the book's symbol, transposed
pub fn logits_forward_batch<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    WhyT: &[Row<F, V>; H],
    hs: &[impl Borrow<[F; H]>],
    ys: &mut [Vector<F, V>],
) {
    // ANCHOR: F2_y_fast
    for y in ys.iter_mut() {
        *y = params.by;
    }
    matmat_transposed_add(WhyT, hs, ys); // ys[t] = Why hs[t] + by, every t
    // ANCHOR_END: F2_y_fast
}

// ANCHOR: F4_loss
/// F4: the cross-entropy of one step, `l = −ln p[target]`: how surprised the model
/// was by the character that really came next. Shapes: `p`: V, `target` in 0..V.
pub fn loss_forward<F: Float>(p: &[F], target: usize) -> F {
    -p[target].ln()
}
// ANCHOR_END: F4_loss

/// The forward pass over one window: returns the summed loss L = Σ_t l_t and
/// fills `cache` with every x_t, h_t and p_t the backward pass needs.
///
/// Shapes: `xs`, `targets`: T indices in 0..V (`targets[t]` is the symbol after
/// `xs[t]`); `hprev`: H, the state carried from the previous window (h_{-1}).
///
/// Errors: [`Error::IndexOutOfRange`] if an index is not below V.
pub fn forward<F: Float, const V: usize, const H: usize, const T: usize>(
    params: &Params<F, V, H>,
    xs: &[usize; T],
    targets: &[usize; T],
    hprev: &Vector<F, H>,
    cache: &mut Cache<F, V, H, T>,
) -> Result<F, Error> {
    check_indices::<V>(xs)?;
    check_indices::<V>(targets)?;
    let Cache {
        xs: cached_xs,
        hs,
        ps,
        WhhT,
        WhyT,
        ..
    } = cache;
    *cached_xs = *xs;
    transpose(&params.Whh, WhhT); // once per window, for the fast form of F1 and F2
    transpose(&params.Why, WhyT);
    // ANCHOR: F5_total
    for (t, &x) in xs.iter().enumerate() {
        let (before, from_t) = hs.split_at_mut(t);
        let h_prev = before.last().map_or(hprev, |h| &h.0); // h_{t-1}; h_{-1} = hprev
        let order = RowOrder::alternating(t); // which way to read WhhT's rows
        hidden_forward_transposed(params, WhhT, x, h_prev, &mut from_t[0].0, order); // F0, F1
    }
    logits_forward_batch(params, WhyT, hs, ps); // F2 for every t at once: ps[t] = y_t
    let mut loss = F::ZERO;
    for (p, &target) in ps.iter_mut().zip(targets) {
        let y = *p;
        softmax(&y, p); //                 F3
        loss += loss_forward(p, target); // F4
    }
    Ok(loss) //                            F5: L = Σ_t l_t
    // ANCHOR_END: F5_total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn cache_is_aligned_to_16_bytes() {
        // Behind Adagrad's f64 learning rate, an 8-byte aligned cache landed 8
        // bytes off a boundary inside Trainer (see Params).
        type C = Cache<f32, 76, 100, 25>;
        assert_eq!(core::mem::align_of::<C>(), 16.max(crate::matrix::ROW_ALIGN));
        type Tr = crate::Trainer<f32, 76, 100, 25>;
        assert_eq!(core::mem::offset_of!(Tr, cache) % 16, 0);
        assert_eq!(core::mem::offset_of!(C, WhhT) % 16, 0);
    }

    #[test]
    fn rows_of_the_cache_start_on_row_boundaries() {
        type C = Cache<f32, 76, 100, 25>;
        let row_align = crate::matrix::ROW_ALIGN.max(4);
        for offset in [
            core::mem::offset_of!(C, hs),
            core::mem::offset_of!(C, WhhT),
            core::mem::offset_of!(C, WhyT),
        ] {
            assert_eq!(offset % row_align, 0);
        }
        assert_eq!(core::mem::size_of::<Row<f32, 76>>() % row_align, 0);
    }

    #[test]
    fn one_step_by_hand() {
        // V = 2, H = 1: every number can be checked with a calculator.
        let mut p = Params::<f64, 2, 1>::ZERO;
        p.WxhT = [[0.5], [-0.5]];
        p.Whh = [[2.0]];
        p.bh = [0.3];
        p.Why = [[1.0], [-1.0]];
        p.by = [0.0, 0.25];
        let mut cache = Cache::<f64, 2, 1, 1>::ZERO;
        let loss = forward(&p, &[1], &[0], &[0.2], &mut cache).unwrap();
        let h = (-0.5f64 + 2.0 * 0.2 + 0.3).tanh();
        assert_eq!(cache.hs[0].0, [h]);
        let (y0, y1) = (h, -h + 0.25);
        let p0 = y0.exp() / (y0.exp() + y1.exp());
        assert!((cache.ps[0][0] - p0).abs() < 1e-15);
        assert!((loss + p0.ln()).abs() < 1e-15);
    }

    #[test]
    fn loss_of_an_untrained_model_is_about_ln_v_per_step() {
        let params = Params::<f64, 10, 16>::new(&mut Rng::new(5));
        let mut cache = Cache::<f64, 10, 16, 4>::ZERO;
        let loss = forward(
            &params,
            &[0, 1, 2, 3],
            &[1, 2, 3, 4],
            &[0.0; 16],
            &mut cache,
        )
        .unwrap();
        assert!((loss - 4.0 * 10f64.ln()).abs() < 0.01, "{loss}");
    }

    #[test]
    fn transposed_forms_match_the_plain_ones() {
        let mut rng = Rng::new(11);
        let params = Params::<f64, 7, 9>::new(&mut rng);
        let mut cache = Cache::<f64, 7, 9, 1>::ZERO;
        transpose(&params.Whh, &mut cache.WhhT);
        transpose(&params.Why, &mut cache.WhyT);
        let h_prev: [f64; 9] = core::array::from_fn(|_| rng.normal());
        let mut h1 = [0.0; 9];
        hidden_forward(&params, 3, &h_prev, &mut h1);
        for order in [RowOrder::Forwards, RowOrder::Backwards] {
            let mut h2 = [0.0; 9];
            hidden_forward_transposed(&params, &cache.WhhT, 3, &h_prev, &mut h2, order);
            for (a, b) in h1.iter().zip(&h2) {
                assert!((a - b).abs() <= 1e-17, "{order:?}: {a} vs {b}");
            }
        }
        let hs: [[f64; 9]; 6] = core::array::from_fn(|_| core::array::from_fn(|_| rng.normal()));
        let mut ys = [[0.0; 7]; 6];
        logits_forward_batch(&params, &cache.WhyT, &hs, &mut ys);
        for (h, y) in hs.iter().zip(&ys) {
            let mut one = [0.0; 7];
            logits_forward(&params, h, &mut one);
            for (a, b) in y.iter().zip(&one) {
                assert!((a - b).abs() <= 1e-16, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn bad_index_is_an_error() {
        let params = Params::<f64, 3, 2>::ZERO;
        let mut cache = Cache::<f64, 3, 2, 2>::ZERO;
        let err = forward(&params, &[0, 3], &[1, 2], &[0.0; 2], &mut cache).unwrap_err();
        assert_eq!(
            err,
            Error::IndexOutOfRange {
                index: 3,
                vocab_size: 3
            }
        );
    }
}
