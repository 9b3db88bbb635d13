//! G1: the gradient check, the test every backpropagation must pass.

use crate::error::Error;
use crate::forward::{Cache, forward};
use crate::params::Params;

/// One window of data to differentiate the loss on: the starting hidden state,
/// the input indices and the target indices.
#[derive(Clone, Copy, Debug)]
pub struct Window<'a, const H: usize, const T: usize> {
    /// The number of symbols in use, at most V.
    pub vocab_size: usize,
    /// h_{-1}, H floats.
    pub hprev: &'a [f64; H],
    /// T input indices in 0..V.
    pub xs: &'a [usize; T],
    /// T target indices in 0..V.
    pub targets: &'a [usize; T],
}

// ANCHOR: G1_gradcheck
/// (L(θ + ε) − L(θ − ε)) / 2ε for element `index` of tensor `tensor` (in the
/// order of [`Params::tensors`]): the derivative by its definition, with an
/// error of order ε² because the odd terms of the two Taylor series cancel.
/// The parameter is restored afterwards. f64 only: in f32 the rounding of L,
/// divided by 2ε, would swamp the slope.
///
/// Errors: as [`forward`]; [`Error::NoSuchParameter`] if `tensor` ≥ 5 or
/// `index` is beyond it.
pub fn numerical_gradient<const V: usize, const H: usize, const T: usize>(
    params: &mut Params<f64, V, H>,
    cache: &mut Cache<f64, V, H, T>,
    window: Window<'_, H, T>,
    (tensor, index): (usize, usize),
    eps: f64,
) -> Result<f64, Error> {
    let no_such = Error::NoSuchParameter { tensor, index };
    let tensors = params.tensors();
    let &original = tensors
        .get(tensor)
        .and_then(|t| t.get(index))
        .ok_or(no_such)?;
    let mut loss_at = |value: f64| {
        params.tensors_mut()[tensor][index] = value;
        forward(
            params,
            window.vocab_size,
            window.xs,
            window.targets,
            window.hprev,
            cache,
        )
    };
    let plus = loss_at(original + eps);
    let minus = loss_at(original - eps);
    params.tensors_mut()[tensor][index] = original;
    Ok((plus? - minus?) / (2.0 * eps))
}

/// |a − n| / (|a| + |n|): 0 when equal, 1 when one of them is 0 or their signs
/// differ; meaningful only where the gradient is not itself near 0.
pub fn relative_error(analytic: f64, numerical: f64) -> f64 {
    (analytic - numerical).abs() / (analytic.abs() + numerical.abs()).max(f64::MIN_POSITIVE)
}
// ANCHOR_END: G1_gradcheck
