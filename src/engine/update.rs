//! O1 and O2 as training runs them: clipping and Adagrad fused into one pass
//! over each tensor, only the rows of `WxhT` the window touched, and the
//! division by √(m + ε) done the faster of two ways for the target
//! ([`descend`]). Equal to [`clip`](crate::clip::clip) followed by
//! [`Adagrad::update`] up to the rounding of that division
//! (`tests/engine_equals_reference.rs`).

use super::approx;
use super::float::FastFloat as Float;
use super::target::ADAGRAD_DIVIDES;
use crate::adagrad::{Adagrad, EPSILON};
use crate::params::Params;

/// O1 and O2 as training does them, in one pass over the parameters:
/// clips every gradient element to `[−limit, limit]` (in place, so
/// `grads` ends up clipped exactly as by [`clip`](crate::clip::clip)), then
/// takes the Adagrad step with it.
///
/// `inputs` are the window's inputs x_t. Their one-hot vectors make
/// `dWxh = Σ_t dhraw_t x_tᵀ` zero outside the columns `inputs`, i.e. rows
/// of `dWxhT`; a zero gradient changes neither m nor θ, so only those rows
/// are visited (a 25-character window has at most 25 distinct characters).
/// The result is that of `clip` followed by [`Adagrad::update`] (up to
/// [`descend`]'s rounding; bit for bit where it divides and nothing is
/// fused), provided `grads.WxhT` is zero outside those rows, as
/// [`backward`](super::pass::backward) leaves it. Shapes: as [`Params`];
/// `inputs` in 0..V (others are ignored).
#[allow(non_snake_case)] // WxhT: the book's symbol, transposed
pub fn clip_and_update<F: Float, const V: usize, const H: usize>(
    adagrad: &mut Adagrad<F, V, H>,
    params: &mut Params<F, V, H>,
    grads: &mut Params<F, V, H>,
    limit: F,
    inputs: &[usize],
) {
    let lr = F::from_f64(adagrad.learning_rate());
    let eps = F::from_f64(EPSILON);
    // ANCHOR: clip_and_update
    let tensors = params.tensors_mut().into_iter();
    let tensors = tensors
        .zip(grads.tensors_mut())
        .zip(adagrad.memory.tensors_mut());
    for ((theta, dtheta), m) in tensors.skip(1) {
        clip_adagrad_update(theta, dtheta, m, lr, eps, limit); // Whh, Why, bh, by
    }
    let mut done = [false; V];
    for &x in inputs.iter().filter(|&&x| x < V) {
        if !core::mem::replace(&mut done[x], true) {
            let (WxhT, dWxhT, mWxhT) =
                (&mut params.WxhT, &mut grads.WxhT, &mut adagrad.memory.WxhT);
            clip_adagrad_update(&mut WxhT[x], &mut dWxhT[x], &mut mWxhT[x], lr, eps, limit);
        }
    }
    // ANCHOR_END: clip_and_update
}

// ANCHOR: clip_adagrad_update
/// O1 and O2 on one tensor, in one pass: `dθ = clamp(dθ, −limit, limit)`
/// (stored back), `m += dθ ⊙ dθ`, `θ −= η dθ / sqrt(m + ε)`. Shapes: all
/// three slices have the same length.
#[inline]
pub fn clip_adagrad_update<F: Float>(
    theta: &mut [F],
    dtheta: &mut [F],
    m: &mut [F],
    lr: F,
    eps: F,
    limit: F,
) {
    for ((theta_i, d_i), m_i) in theta.iter_mut().zip(dtheta).zip(m) {
        let d = d_i.max(-limit).min(limit); // O1, as in clip
        *d_i = d;
        *m_i = d.mul_add(d, *m_i); //                   m + d²
        *theta_i = descend(*theta_i, lr * d, *m_i + eps); // θ − η d / √(m + ε)
    }
}
// ANCHOR_END: clip_adagrad_update

// ANCHOR: descend
/// `θ − step / √(m + ε)`, given `step` = η dθ and `m + ε`: one parameter's
/// Adagrad step.
///
/// Where [`ADAGRAD_DIVIDES`], exactly the textbook form: a hardware square
/// root and a division. Elsewhere `1/√(m + ε)` is [`approx::rsqrt`] (within
/// 2 ulp), Newton's method, multiplies only, and the step is added to θ as
/// `θ + (−step) · rsqrt(m + ε)`, one fused multiply-add where the target
/// has FMA.
#[inline(always)]
pub fn descend<F: Float>(theta: F, step: F, m_eps: F) -> F {
    if ADAGRAD_DIVIDES {
        theta - step / m_eps.sqrt_vectorisable()
    } else {
        (-step).mul_add(approx::rsqrt(m_eps), theta)
    }
}
// ANCHOR_END: descend

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_and_division_agree_within_2_ulp() {
        // Whichever form `descend` uses, the other is checked against it.
        let mut rng = crate::rng::Rng::new(12);
        for _ in 0..10_000 {
            let step = (rng.normal() * 0.5) as f32;
            let m_eps = (10f64.powf(rng.uniform() * 12.0 - 8.0)) as f32;
            let exact = step / m_eps.sqrt_vectorisable();
            let newton = step * approx::rsqrt(m_eps);
            assert!(
                (newton - exact).abs() <= 2.0 * f32::EPSILON * exact.abs(),
                "{step} / sqrt({m_eps}): {newton} vs {exact}"
            );
            assert_eq!(
                descend(0.0, step, m_eps),
                if ADAGRAD_DIVIDES { -exact } else { -newton }
            );
        }
    }
}
