//! The training pass over a minibatch: `B` independent streams, each a window
//! of `T` steps from its own hidden state, run together so that every read
//! of a weight serves several streams.
//!
//! Per stream, the arithmetic is exactly that of [`pass`](super::pass): the
//! same products in the same order, so each stream's h_t, p_t, dy_t and
//! dhraw_t equal a batch-1 pass's bit for bit. What changes is that the
//! recurrent products of all streams at step t are one matrix–matrix product
//! ([`matmat_transposed_add_ordered`]), and that F2, B3's `Whyᵀ dy` and the
//! weight gradients run over all T·B steps at once. The weight gradients are
//! then sums over T·B steps instead of T, and are averaged over the streams
//! by the trainer ([`BatchTrainer`](crate::BatchTrainer)).

use super::activation::{softmax_and_loss, tanh_in_place};
use super::float::FastFloat as Float;
use super::pass::{logits_backward_batch, logits_forward_batch};
use super::products::{
    RowOrder, add_outer, axpy, matmat_transposed_add_ordered, sum_outer, transpose,
};
use super::target::Row;
use crate::error::Error;
use crate::forward::{check_window, out_of_range};
use crate::matrix::Vector;
use crate::params::Params;

/// The engine's record of one minibatch: `B` windows of `T` steps, and
/// scratch space.
///
/// The arrays are indexed `[t][b]`, step first: at each step the `B` hidden
/// states sit side by side, the rows of the matrix the recurrence multiplies.
/// Memory: `T·B` indices plus T·B·(2H + V) + H·(H + V) floats (the rows of
/// `hs`, `WhhT` and `WhyT` padded as in [`Workspace`](super::Workspace)).
#[allow(non_snake_case)] // WhhT, WhyT: the book's symbols, transposed
#[derive(Clone, Debug, PartialEq)]
#[repr(align(16))]
pub struct BatchWorkspace<F, const V: usize, const H: usize, const T: usize, const B: usize> {
    /// `xs[t][b]`: the input symbol of stream b at step t.
    pub xs: [[usize; B]; T],
    /// `hs[t][b]`: the hidden state of stream b at step t.
    pub hs: [[Row<F, H>; B]; T],
    /// `ps[t][b]`: its p_t; [`backward`] turns it into dy_t in place.
    pub ps: [[Vector<F, V>; B]; T],
    /// `dhs[t][b]`: first B3's `Whyᵀ dy_t`, then dhraw_t.
    pub dhs: [[Vector<F, H>; B]; T],
    /// Whhᵀ, copied from the parameters at the start of every forward pass.
    pub WhhT: [Row<F, H>; H],
    /// Whyᵀ, likewise.
    pub WhyT: [Row<F, V>; H],
}

impl<F: crate::float::Float, const V: usize, const H: usize, const T: usize, const B: usize>
    BatchWorkspace<F, V, H, T, B>
{
    /// All zeros, usable in a `static`.
    pub const ZERO: Self = BatchWorkspace {
        xs: [[0; B]; T],
        hs: [[Row([F::ZERO; H]); B]; T],
        ps: [[[F::ZERO; V]; B]; T],
        dhs: [[[F::ZERO; H]; B]; T],
        WhhT: [Row([F::ZERO; H]); H],
        WhyT: [Row([F::ZERO; V]); H],
    };
}

// ANCHOR: batch_forward
/// The forward pass over `B` windows at once: returns each stream's loss
/// L_b = Σ_t l_t, with `work` filled for [`backward`]. Stream b reads
/// `xs[b]`, `targets[b]` and starts from `hprevs[b]`; each loss equals that
/// of [`pass::forward`](super::pass::forward) on its window alone, bit for
/// bit.
///
/// Errors: as [`check_window`], for any stream.
#[allow(non_snake_case)] // WhhT, WhyT, Wxh_x: the book's symbols
pub fn forward<F: Float, const V: usize, const H: usize, const T: usize, const B: usize>(
    params: &Params<F, V, H>,
    vocab_size: usize,
    xs: &[[usize; T]; B],
    targets: &[[usize; T]; B],
    hprevs: &[Vector<F, H>; B],
    work: &mut BatchWorkspace<F, V, H, T, B>,
) -> Result<[F; B], Error> {
    for (xs, targets) in xs.iter().zip(targets) {
        check_window::<V>(vocab_size, xs, targets)?;
    }
    let BatchWorkspace {
        xs: cached_xs,
        hs,
        ps,
        WhhT,
        WhyT,
        ..
    } = work;
    for (t, step) in cached_xs.iter_mut().enumerate() {
        *step = core::array::from_fn(|b| xs[b][t]);
    }
    transpose(&params.Whh, WhhT);
    transpose(&params.Why, WhyT);
    for (t, step_xs) in cached_xs.iter().enumerate() {
        let (before, from_t) = hs.split_at_mut(t);
        let h = &mut from_t[0];
        for (h_b, &x) in h.iter_mut().zip(step_xs) {
            let Wxh_x = params.WxhT.get(x).ok_or(out_of_range(x, V))?;
            for ((h_i, &Wxh_ix), &bh_i) in h_b.0.iter_mut().zip(Wxh_x).zip(&params.bh) {
                *h_i = Wxh_ix + bh_i; // F0: h = Wxh x + bh, every stream
            }
        }
        let order = RowOrder::alternating(t);
        match before.last() {
            // F1's Whh h_{t−1} for every stream at once: (B×H)·(H×H)
            Some(h_prev) => matmat_transposed_add_ordered(WhhT, h_prev, h, order),
            None => matmat_transposed_add_ordered(WhhT, hprevs, h, order),
        }
        for h_b in h.iter_mut() {
            tanh_in_place(&mut h_b.0);
        }
    }
    logits_forward_batch(params, WhyT, hs.as_flattened(), ps.as_flattened_mut()); // F2, every t, b
    let mut losses = [F::ZERO; B];
    for (t, step) in ps.iter_mut().enumerate() {
        for (b, p) in step.iter_mut().enumerate() {
            let y = *p;
            let (used, unused) = p.split_at_mut(vocab_size);
            losses[b] += softmax_and_loss(&y[..vocab_size], used, targets[b][t])?; // F3–F5
            unused.fill(F::ZERO);
        }
    }
    Ok(losses)
}
// ANCHOR_END: batch_forward

// ANCHOR: batch_backward
/// The backward pass over the minibatch [`forward`] just ran: overwrites
/// `grads` with the *sum* over the streams of dL_b/dθ (unclipped). Each
/// stream's dy_t and dhraw_t equal [`pass::backward`](super::pass::backward)'s
/// bit for bit; the sums over the streams differ from adding up B separate
/// gradients only in rounding.
///
/// Errors: as [`check_window`], for any stream.
pub fn backward<F: Float, const V: usize, const H: usize, const T: usize, const B: usize>(
    params: &Params<F, V, H>,
    vocab_size: usize,
    work: &mut BatchWorkspace<F, V, H, T, B>,
    targets: &[[usize; T]; B],
    hprevs: &[Vector<F, H>; B],
    grads: &mut Params<F, V, H>,
) -> Result<(), Error> {
    const {
        assert!(
            T > 0 && B > 0,
            "a minibatch has at least one step and one stream"
        )
    };
    for (b, targets) in targets.iter().enumerate() {
        let xs: [usize; T] = core::array::from_fn(|t| work.xs[t][b]);
        check_window::<V>(vocab_size, &xs, targets)?;
    }
    for (t, step) in work.ps.iter_mut().enumerate() {
        for (dy, target) in step.iter_mut().zip(targets) {
            dy[target[t]] -= F::ONE; // B1: ps[t][b] becomes dy_t
        }
    }
    let (dys, dhs) = (work.ps.as_flattened(), work.dhs.as_flattened_mut());
    logits_backward_batch(params, dys, dhs); // B3's Whyᵀ dy_t, every t and b
    let mut dhnext = [[F::ZERO; H]; B]; // nothing flows back from beyond the window
    for t in (0..T).rev() {
        for ((dhraw, h), dhnext) in work.dhs[t].iter_mut().zip(&work.hs[t]).zip(&dhnext) {
            let mut dh = *dhnext;
            axpy(F::ONE, dhraw, &mut dh); // B3: dh = Whyᵀ dy_t + dhnext
            for ((dhraw_i, &h_i), &dh_i) in dhraw.iter_mut().zip(&h.0).zip(&dh) {
                *dhraw_i = (F::ONE - h_i * h_i) * dh_i; // B4
            }
        }
        if t > 0 {
            // B6 for every stream at once: (B×H)·(H×H)
            dhnext = [[F::ZERO; H]; B];
            let order = RowOrder::alternating(t);
            matmat_transposed_add_ordered(&params.Whh, &work.dhs[t], &mut dhnext, order);
        }
    }
    weight_gradients(work, hprevs, grads); // B2, B5
    Ok(())
}
// ANCHOR_END: batch_backward

/// B2 and B5 summed over every step of every stream, from `work.ps` (dy)
/// and `work.dhs` (dhraw), as [`pass::weight_gradients`](super::pass::weight_gradients)
/// sums them over one window (with one stream, the very same sums).
/// Overwrites `grads`.
#[allow(non_snake_case)] // dWxhT, dWhh, dWhy, dbh, dby: the book's symbols
fn weight_gradients<F: Float, const V: usize, const H: usize, const T: usize, const B: usize>(
    work: &BatchWorkspace<F, V, H, T, B>,
    hprevs: &[Vector<F, H>; B],
    grads: &mut Params<F, V, H>,
) {
    let Params {
        WxhT: dWxhT,
        Whh: dWhh,
        Why: dWhy,
        bh: dbh,
        by: dby,
    } = grads;
    let (dys, hs) = (work.ps.as_flattened(), work.hs.as_flattened());
    let (dhraws, xs) = (work.dhs.as_flattened(), work.xs.as_flattened());
    sum_outer(dWhy, dys, hs); // dWhy = Σ dy hᵀ
    dby.fill(F::ZERO);
    for dy in dys.iter().rev() {
        axpy(F::ONE, dy, dby); // dby = Σ dy
    }
    // dWhh = Σ dhraw_t h_{t−1}ᵀ: steps t ≥ 1 pair with the states one step
    // (B rows) earlier; at t = 0 each stream's h_{−1} is its hprev.
    sum_outer(dWhh, &dhraws[B..], &hs[..hs.len() - B]);
    for (dhraw, hprev) in work.dhs[0].iter().zip(hprevs) {
        add_outer(dWhh, dhraw, hprev);
    }
    dbh.fill(F::ZERO);
    for row in dWxhT.iter_mut() {
        row.fill(F::ZERO);
    }
    for (dhraw, &x) in dhraws.iter().zip(xs).rev() {
        axpy(F::ONE, dhraw, dbh); // dbh = Σ dhraw
        axpy(F::ONE, dhraw, &mut dWxhT[x]); // dWxh = Σ dhraw xᵀ
    }
}
