//! The training pass: [`forward`](crate::forward::forward) and
//! [`backward`](crate::backward::backward) rearranged for the machine. The
//! same equations, the same results up to rounding
//! (`tests/engine_equals_reference.rs`), in another order:
//!
//! - **Forward.** The recurrent product `Whh h_{t−1}` is computed as
//!   `(Whhᵀ)ᵀ h_{t−1}` from a transposed copy `WhhT`, a sum of rows that
//!   vectorises, reading the rows in alternating order from step to step
//!   ([`RowOrder`]). The logits are not part of the recurrence (h_{t+1}
//!   needs h_t, not y_t), so F2 runs for all T steps at once after it, on a
//!   transposed copy `WhyT` ([`matmat_transposed_add`]).
//! - **Backward.** First what does not depend on later steps: B1 and the
//!   product `Whyᵀ dy_t` of B3, for every t at once. Then the recurrence,
//!   t = T−1 down to 0: the rest of B3 (`+ dhnext`) → B4 → B6. B6 is skipped
//!   at t = 0, where its result would only flow into `hprev`, which
//!   truncation cuts off. Then the weight gradients B2 and B5, sums over t of
//!   outer products, added up row by row ([`sum_outer`]) once every dy_t and
//!   dhraw_t is known, so each gradient row stays in registers across all T
//!   steps instead of being read and written T times.

use core::borrow::Borrow;

use super::activation::{softmax_and_loss, tanh_in_place};
use super::float::FastFloat as Float;
use super::products::{
    RowOrder, add_outer, axpy, matmat_transposed_add, matvec_transposed_add_ordered, sum_outer,
    transpose,
};
use super::target::Row;
use crate::error::Error;
use crate::forward::{check_window, out_of_range};
use crate::matrix::Vector;
use crate::params::Params;

/// The engine's record of one window of `T` steps, and its scratch space.
///
/// Memory: `T` indices plus T·(2H + V) + H·(H + V) floats, each of the
/// T + 2H rows of `hs`, `WhhT` and `WhyT` padded to a multiple of
/// [`ROW_ALIGN`](super::ROW_ALIGN) bytes.
#[allow(non_snake_case)] // WhhT, WhyT: the book's symbols, transposed
#[derive(Clone, Debug, PartialEq)]
#[repr(align(16))]
pub struct Workspace<F, const V: usize, const H: usize, const T: usize> {
    /// `xs[t]`: the input symbol at step t.
    pub xs: [usize; T],
    /// `hs[t]`: the hidden state h_t, H floats, in aligned rows.
    pub hs: [Row<F, H>; T],
    /// `ps[t]`: p_t, V floats; [`backward`] turns it into dy_t in place.
    pub ps: [Vector<F, V>; T],
    /// `dhs[t]`: first B3's `Whyᵀ dy_t`, then, in the recurrence, dhraw_t.
    pub dhs: [Vector<F, H>; T],
    /// Whhᵀ, H×H, copied from the parameters at the start of every forward pass.
    pub WhhT: [Row<F, H>; H],
    /// Whyᵀ, H×V, likewise.
    pub WhyT: [Row<F, V>; H],
}

impl<F: crate::float::Float, const V: usize, const H: usize, const T: usize> Workspace<F, V, H, T> {
    /// All zeros, usable in a `static`.
    pub const ZERO: Self = Workspace {
        xs: [0; T],
        hs: [Row([F::ZERO; H]); T],
        ps: [[F::ZERO; V]; T],
        dhs: [[F::ZERO; H]; T],
        WhhT: [Row([F::ZERO; H]); H],
        WhyT: [Row([F::ZERO; V]); H],
    };
}

/// F0 and F1 from the transposed copy `WhhT`: `h = tanh(Wxh x + (Whhᵀ)ᵀ h_prev
/// + bh)`, the rows of `WhhT` read in the given order.
/// Shapes: `WhhT`: H×H; `x`: index in 0..V; `h_prev`, `h`: H.
///
/// Errors: [`Error::IndexOutOfRange`] if `x >= V` (`h` is then unchanged).
#[allow(non_snake_case)] // WxhT, WhhT: the book's symbols, transposed
#[inline]
pub fn hidden_forward_transposed<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    WhhT: &[Row<F, H>; H],
    x: usize,
    h_prev: &Vector<F, H>,
    h: &mut Vector<F, H>,
    order: RowOrder,
) -> Result<(), Error> {
    let Wxh_x = params.WxhT.get(x).ok_or(out_of_range(x, V))?;
    for ((h_i, &Wxh_ix), &bh_i) in h.iter_mut().zip(Wxh_x).zip(&params.bh) {
        *h_i = Wxh_ix + bh_i; // F0: h = Wxh x + bh
    }
    // ANCHOR: F1_h_fast
    matvec_transposed_add_ordered(WhhT, h_prev, h, order); // h = Wxh x + bh + Whh h_prev
    tanh_in_place(h);
    // ANCHOR_END: F1_h_fast
    Ok(())
}

/// F2 for a whole window at once: `ys[t] = Why hs[t] + by` for every t, from
/// `WhyT` = Whyᵀ, all T products sharing each read of `WhyT`.
/// Shapes: `WhyT`: H×V; `hs`: T×H; `ys`: T×V.
#[allow(non_snake_case)] // WhyT: the book's symbol, transposed
#[inline]
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

/// The training forward pass over one window: the loss L = Σ_t l_t, with
/// `work` filled for [`backward`]. Equal to
/// [`forward::forward`](crate::forward::forward) up to rounding.
///
/// Shapes and errors: as there.
pub fn forward<F: Float, const V: usize, const H: usize, const T: usize>(
    params: &Params<F, V, H>,
    vocab_size: usize,
    xs: &[usize; T],
    targets: &[usize; T],
    hprev: &Vector<F, H>,
    work: &mut Workspace<F, V, H, T>,
) -> Result<F, Error> {
    check_window::<V>(vocab_size, xs, targets)?;
    let Workspace {
        xs: cached_xs,
        hs,
        ps,
        WhhT,
        WhyT,
        ..
    } = work;
    *cached_xs = *xs;
    transpose(&params.Whh, WhhT); // once per window, for F1 and F2 below
    transpose(&params.Why, WhyT);
    // ANCHOR: forward_fast
    for (t, &x) in xs.iter().enumerate() {
        let (before, from_t) = hs.split_at_mut(t);
        let h_prev = before.last().map_or(hprev, |h| &h.0); // h_{t-1}; h_{-1} = hprev
        let order = RowOrder::alternating(t); // which way to read WhhT's rows
        hidden_forward_transposed(params, WhhT, x, h_prev, &mut from_t[0].0, order)?; // F0, F1
    }
    logits_forward_batch(params, WhyT, hs, ps); // F2 for every t at once: ps[t] = y_t
    let mut loss = F::ZERO;
    for (p, &target) in ps.iter_mut().zip(targets) {
        let y = *p;
        let (used, unused) = p.split_at_mut(vocab_size);
        loss += softmax_and_loss(&y[..vocab_size], used, target)?; // F3, F4, F5: L = Σ_t l_t
        unused.fill(F::ZERO);
    }
    Ok(loss)
    // ANCHOR_END: forward_fast
}

/// B3's product for a whole window at once: `dhs[t] = Whyᵀ dys[t]` for every t
/// (overwriting `dhs`). Shapes: `dys`: T×V; `dhs`: T×H.
#[allow(non_snake_case)] // Why: the book's symbol
#[inline]
pub fn logits_backward_batch<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    dys: &[Vector<F, V>],
    dhs: &mut [Vector<F, H>],
) {
    for dh in dhs.iter_mut() {
        dh.fill(F::ZERO);
    }
    matmat_transposed_add(&params.Why, dys, dhs); // dhs[t] = Whyᵀ dys[t], every t
}

/// B2 and B5: the gradients of the weights and biases, each a sum over the
/// window's T steps, from `work.ps` (dy_t) and `work.dhs` (dhraw_t).
/// Overwrites `grads`. Shapes: as [`backward`].
#[allow(non_snake_case)] // dWxhT, dWhh, dWhy, dbh, dby: the book's symbols
pub fn weight_gradients<F: Float, const V: usize, const H: usize, const T: usize>(
    work: &Workspace<F, V, H, T>,
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
    let (dys, hs, dhraws) = (&work.ps, &work.hs, &work.dhs);
    // ANCHOR: weight_gradients
    sum_outer(dWhy, dys, hs); //     dWhy = Σ_t dy_t h_tᵀ
    dby.fill(F::ZERO);
    for dy in dys.iter().rev() {
        axpy(F::ONE, dy, dby); //        dby  = Σ_t dy_t
    }
    sum_outer(dWhh, &dhraws[1..], &hs[..T - 1]); // dWhh = Σ_t dhraw_t h_{t-1}ᵀ, t ≥ 1,
    add_outer(dWhh, &dhraws[0], hprev); //         plus t = 0, where h_{-1} = hprev
    dbh.fill(F::ZERO);
    for row in dWxhT.iter_mut() {
        row.fill(F::ZERO);
    }
    for (dhraw, &x) in dhraws.iter().zip(&work.xs).rev() {
        axpy(F::ONE, dhraw, dbh); //       dbh  = Σ_t dhraw_t
        axpy(F::ONE, dhraw, &mut dWxhT[x]); // dWxh = Σ_t dhraw_t x_tᵀ
    }
    // ANCHOR_END: weight_gradients
}

/// The training backward pass over the window [`forward`] just ran:
/// overwrites `grads` with dL/dθ (unclipped). Equal to
/// [`backward::backward`](crate::backward::backward) up to rounding.
///
/// Uses `work` as scratch: on return `work.ps[t]` holds dy_t and
/// `work.dhs[t]` holds dhraw_t. Shapes and errors: as there.
pub fn backward<F: Float, const V: usize, const H: usize, const T: usize>(
    params: &Params<F, V, H>,
    vocab_size: usize,
    work: &mut Workspace<F, V, H, T>,
    targets: &[usize; T],
    hprev: &Vector<F, H>,
    grads: &mut Params<F, V, H>,
) -> Result<(), Error> {
    const { assert!(T > 0, "a window has at least one step") };
    check_window::<V>(vocab_size, &work.xs, targets)?;
    // ANCHOR: backward_fast
    for (dy, &target) in work.ps.iter_mut().zip(targets) {
        dy[target] -= F::ONE; // B1 for every t: ps[t] becomes dy_t
    }
    logits_backward_batch(params, &work.ps, &mut work.dhs); // B3's Whyᵀ dy_t, every t
    let mut dhnext = [F::ZERO; H]; // nothing flows back from beyond the window
    for t in (0..T).rev() {
        let mut dh = dhnext;
        axpy(F::ONE, &work.dhs[t], &mut dh); // B3: dh = Whyᵀ dy_t + dhnext
        let (h, dhraw) = (&work.hs[t].0, &mut work.dhs[t]);
        for ((dhraw_i, &h_i), &dh_i) in dhraw.iter_mut().zip(h).zip(&dh) {
            *dhraw_i = (F::ONE - h_i * h_i) * dh_i; // B4
        }
        if t > 0 {
            // B6; at t = 0 it would flow into hprev, outside the window
            dhnext.fill(F::ZERO);
            let order = RowOrder::alternating(t);
            matvec_transposed_add_ordered(&params.Whh, &work.dhs[t], &mut dhnext, order);
        }
    }
    weight_gradients(work, hprev, grads); // B2, B5
    // ANCHOR_END: backward_fast
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_is_aligned_to_16_bytes() {
        // Behind Adagrad's f64 learning rate, an 8-byte aligned cache landed 8
        // bytes off a boundary inside Trainer (see Params).
        type W = Workspace<f32, 76, 100, 25>;
        assert_eq!(core::mem::align_of::<W>(), 16.max(super::super::ROW_ALIGN));
        type Tr = crate::Trainer<f32, 76, 100, 25>;
        assert_eq!(core::mem::offset_of!(Tr, work) % 16, 0);
        assert_eq!(core::mem::offset_of!(W, WhhT) % 16, 0);
    }

    #[test]
    fn rows_of_the_workspace_start_on_row_boundaries() {
        type W = Workspace<f32, 76, 100, 25>;
        let row_align = super::super::ROW_ALIGN.max(4);
        for offset in [
            core::mem::offset_of!(W, hs),
            core::mem::offset_of!(W, WhhT),
            core::mem::offset_of!(W, WhyT),
        ] {
            assert_eq!(offset % row_align, 0);
        }
        assert_eq!(core::mem::size_of::<Row<f32, 76>>() % row_align, 0);
    }
}
