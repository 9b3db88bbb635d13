//! The forward pass over one window of `T` characters: F0 to F5 of the book.
//!
//! Each equation is a small function; [`forward`] calls them in order for
//! t = 0..T, and `backward.rs` calls their mirrors in exactly the reverse order.

use crate::activation::{softmax, tanh_in_place};
use crate::error::Error;
use crate::float::Float;
use crate::matrix::{Vector, matvec_add};
use crate::params::Params;

/// What the forward pass keeps for the backward pass: one window of `T` steps.
///
/// Memory: `T` indices plus T·(H + V) floats.
#[derive(Clone, Debug, PartialEq)]
pub struct Cache<F, const V: usize, const H: usize, const T: usize> {
    /// `xs[t]`: the input symbol at step t (the index of the 1 in the one-hot x_t).
    pub xs: [usize; T],
    /// `hs[t]`: the hidden state h_t, H floats. (h_{-1} is `hprev`, kept apart.)
    pub hs: [Vector<F, H>; T],
    /// `ps[t]`: the predicted distribution p_t over the next symbol, V floats
    /// (0 beyond `vocab_size`).
    pub ps: [Vector<F, V>; T],
}

impl<F: Float, const V: usize, const H: usize, const T: usize> Cache<F, V, H, T> {
    /// All zeros, usable in a `static`.
    pub const ZERO: Self = Cache {
        xs: [0; T],
        hs: [[F::ZERO; H]; T],
        ps: [[F::ZERO; V]; T],
    };
}

/// Checks a window before any arithmetic: `vocab_size` is between 1 and the
/// capacity `V`, and every index of `xs` and `targets` names one of the first
/// `vocab_size` symbols.
///
/// Errors: [`Error::VocabSizeOutOfRange`], [`Error::IndexOutOfRange`].
pub fn check_window<const V: usize>(
    vocab_size: usize,
    xs: &[usize],
    targets: &[usize],
) -> Result<(), Error> {
    if vocab_size == 0 || vocab_size > V {
        return Err(Error::VocabSizeOutOfRange {
            vocab_size,
            capacity: V,
        });
    }
    match xs.iter().chain(targets).find(|&&i| i >= vocab_size) {
        Some(&index) => Err(out_of_range(index, vocab_size)),
        None => Ok(()),
    }
}

/// The error for a symbol index outside `0..vocab_size`.
pub(crate) fn out_of_range(index: usize, vocab_size: usize) -> Error {
    Error::IndexOutOfRange { index, vocab_size }
}

// ANCHOR: F1_h
/// F0 and F1: the new hidden state `h = tanh(Wxh x + Whh h_prev + bh)`.
///
/// Shapes: `x`: one-hot index in 0..V; `h_prev`, `h`: H.
///
/// Errors: [`Error::IndexOutOfRange`] if `x >= V` (`h` is then unchanged).
#[allow(non_snake_case)] // WxhT, Whh, bh: the book's symbols
pub fn hidden_forward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    x: usize,
    h_prev: &Vector<F, H>,
    h: &mut Vector<F, H>,
) -> Result<(), Error> {
    let Params { WxhT, Whh, bh, .. } = params;
    // ANCHOR: F0_onehot
    // Wxh x with a one-hot x is column x of Wxh, i.e. row x of WxhT:
    // H reads, not H·V multiply-adds.
    let Wxh_x = WxhT.get(x).ok_or(out_of_range(x, V))?;
    for ((h_i, &Wxh_ix), &bh_i) in h.iter_mut().zip(Wxh_x).zip(bh) {
        *h_i = Wxh_ix + bh_i; //          h = Wxh x + bh
    }
    // ANCHOR_END: F0_onehot
    matvec_add(Whh, h_prev, h); //      h = Wxh x + bh + Whh h_prev
    tanh_in_place(h); //                h = tanh(Wxh x + Whh h_prev + bh)
    Ok(())
}
// ANCHOR_END: F1_h

// ANCHOR: F2_y
/// F2: the logits `y = Why h + by`, one unnormalised score per symbol.
///
/// Shapes: `h`: H, `y`: V.
#[allow(non_snake_case)] // Why, by: the book's symbols
pub fn logits_forward<F: Float, const V: usize, const H: usize>(
    params: &Params<F, V, H>,
    h: &Vector<F, H>,
    y: &mut Vector<F, V>,
) {
    let Params { Why, by, .. } = params;
    *y = *by; //               y = by
    matvec_add(Why, h, y); //  y = Why h + by
}
// ANCHOR_END: F2_y

// ANCHOR: F3_probs
/// F3 over the symbols in use: `p = softmax(y)` on the first `vocab_size`
/// elements, and probability 0 for the rest of the capacity `V`, which no
/// text of this vocabulary contains. Shapes: `y`, `p`: V.
pub fn probs_forward<F: Float, const V: usize>(
    y: &Vector<F, V>,
    vocab_size: usize,
    p: &mut Vector<F, V>,
) {
    let (used, unused) = p.split_at_mut(vocab_size);
    softmax(&y[..vocab_size], used);
    unused.fill(F::ZERO);
}
// ANCHOR_END: F3_probs

// ANCHOR: F4_loss
/// F4: the cross-entropy of one step, `l = −ln p[target]`: how surprised the
/// model was by the character that really came next.
///
/// Computed from the logits of the symbols in use, as `ln Σ_j e^(y_j − m) −
/// (y[target] − m)` with `m = max y`: since `p[target] = e^(y[target] − m) /
/// Σ_j e^(y_j − m)`, that is the same number, but it is finite whenever the
/// logits are and `m − y[target]` does not overflow (they lie within the
/// largest float of each other), where `p[target]` itself can round to 0 (in
/// f32 below about e^−104, libm's smallest subnormal; the engine's exp
/// already below e^−87) and make `−ln p` infinite. Shapes: `y`: the first vocab_size logits;
/// `target` below vocab_size.
///
/// Errors: [`Error::IndexOutOfRange`] if `target >= y.len()`.
pub fn loss_forward<F: Float>(y: &[F], target: usize) -> Result<F, Error> {
    let &y_target = y.get(target).ok_or(out_of_range(target, y.len()))?;
    let m = y.iter().fold(y_target, |m, &y_i| m.max(y_i));
    let mut sum = F::ZERO;
    for &y_i in y {
        sum += (y_i - m).exp();
    }
    Ok(sum.ln() - (y_target - m)) // −ln p[target]
}
// ANCHOR_END: F4_loss

// ANCHOR: F5_total
/// The forward pass over one window: returns the summed loss L = Σ_t l_t and
/// fills `cache` with every x_t, h_t and p_t the backward pass needs.
///
/// Shapes: `xs`, `targets`: T indices in 0..vocab_size (`targets[t]` is the
/// symbol after `xs[t]`); `hprev`: H, the state carried from the previous
/// window (h_{-1}). `vocab_size` ≤ V is the number of symbols in use (see
/// [`Vocab::len`](crate::Vocab::len)): the outputs beyond it get probability 0.
///
/// Errors: as [`check_window`].
pub fn forward<F: Float, const V: usize, const H: usize, const T: usize>(
    params: &Params<F, V, H>,
    vocab_size: usize,
    xs: &[usize; T],
    targets: &[usize; T],
    hprev: &Vector<F, H>,
    cache: &mut Cache<F, V, H, T>,
) -> Result<F, Error> {
    check_window::<V>(vocab_size, xs, targets)?;
    let Cache {
        xs: cached_xs,
        hs,
        ps,
    } = cache;
    *cached_xs = *xs;
    let mut loss = F::ZERO;
    for t in 0..T {
        let h_prev = if t == 0 { *hprev } else { hs[t - 1] }; // h_{-1} = hprev
        hidden_forward(params, xs[t], &h_prev, &mut hs[t])?; //  F0, F1: h_t
        let mut y = [F::ZERO; V];
        logits_forward(params, &hs[t], &mut y); //               F2: y_t
        probs_forward(&y, vocab_size, &mut ps[t]); //            F3: p_t
        loss += loss_forward(&y[..vocab_size], targets[t])?; //  F4, F5: L = Σ_t l_t
    }
    Ok(loss)
}
// ANCHOR_END: F5_total

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

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
        let loss = forward(&p, 2, &[1], &[0], &[0.2], &mut cache).unwrap();
        let h = (-0.5f64 + 2.0 * 0.2 + 0.3).tanh();
        assert_eq!(cache.hs[0], [h]);
        let (y0, y1) = (h, -h + 0.25);
        let p0 = y0.exp() / (y0.exp() + y1.exp());
        assert!((cache.ps[0][0] - p0).abs() < 1e-15);
        assert!((loss + p0.ln()).abs() < 1e-15);
    }

    #[test]
    fn loss_of_an_untrained_model_is_about_ln_v_per_step() {
        let params = Params::<f64, 10, 16>::new(&mut Rng::new(5));
        let mut cache = Cache::<f64, 10, 16, 4>::ZERO;
        let (xs, targets) = ([0, 1, 2, 3], [1, 2, 3, 4]);
        let loss = forward(&params, 10, &xs, &targets, &[0.0; 16], &mut cache).unwrap();
        assert!((loss - 4.0 * 10f64.ln()).abs() < 0.01, "{loss}");
        // Only 5 of the 10 symbols in use: ln 5 per step, and no probability
        // for the other five.
        let loss = forward(&params, 5, &xs, &targets, &[0.0; 16], &mut cache).unwrap();
        assert!((loss - 4.0 * 5f64.ln()).abs() < 0.01, "{loss}");
        assert!(cache.ps.iter().all(|p| p[5..] == [0.0; 5]));
    }

    #[test]
    fn the_loss_is_minus_ln_p_and_finite_where_p_underflows() {
        let y = [0.5f64, -1.0, 2.0];
        let mut p = [0.0; 3];
        softmax(&y, &mut p);
        assert!((loss_forward(&y, 1).unwrap() + p[1].ln()).abs() < 1e-15);
        // In f32, e^-200 is 0: −ln p would be infinite; the loss is 200.
        let y = [100.0f32, -100.0];
        let mut p = [0.0; 2];
        softmax(&y, &mut p);
        assert_eq!(p[1], 0.0);
        assert_eq!(loss_forward(&y, 1), Ok(200.0));
    }

    #[test]
    fn bad_window_is_an_error() {
        let params = Params::<f64, 3, 2>::ZERO;
        let mut cache = Cache::<f64, 3, 2, 2>::ZERO;
        let err = forward(&params, 3, &[0, 3], &[1, 2], &[0.0; 2], &mut cache).unwrap_err();
        let index = |index| Error::IndexOutOfRange {
            index,
            vocab_size: 3,
        };
        assert_eq!(err, index(3));
        let err = forward(&params, 3, &[0, 1], &[1, 7], &[0.0; 2], &mut cache).unwrap_err();
        assert_eq!(err, index(7));
        for vocab_size in [0, 4] {
            let err = forward(&params, vocab_size, &[0, 1], &[1, 2], &[0.0; 2], &mut cache);
            assert_eq!(
                err,
                Err(Error::VocabSizeOutOfRange {
                    vocab_size,
                    capacity: 3
                })
            );
        }
    }
}
