//! Karpathy's `lossFun`: the forward pass and backpropagation through time
//! over one window. [`Trainer::step_reference`](crate::Trainer::step_reference)
//! adds clipping and Adagrad: the whole algorithm on one page of the book.

use crate::backward::backward;
use crate::error::Error;
use crate::float::Float;
use crate::forward::{Cache, forward};
use crate::matrix::Vector;
use crate::params::Params;

// ANCHOR: loss_fun
/// Karpathy's `lossFun(inputs, targets, hprev)`: the forward pass F0–F5 over
/// one window, then backpropagation through time B1–B6. Returns the loss
/// L = Σ_t −ln p_t\[targets\[t\]\] and overwrites `grads` with dL/dθ (unclipped);
/// the last hidden state, the next window's `hprev`, is `cache.hs[T − 1]`.
///
/// Shapes: `inputs`, `targets`: T indices in 0..vocab_size (`targets[t]` is
/// the symbol after `inputs[t]`); `hprev`: H. `vocab_size` ≤ V is the number
/// of symbols in use ([`Vocab::len`](crate::Vocab::len)).
///
/// Errors: [`Error::VocabSizeOutOfRange`], [`Error::IndexOutOfRange`].
///
/// ```
/// use min_char_rnn::{Cache, Params, Rng, loss_fun};
/// let params = Params::<f64, 4, 8>::new(&mut Rng::new(1));
/// let (mut cache, mut grads) = (Cache::<f64, 4, 8, 3>::ZERO, Params::ZERO);
/// let loss = loss_fun(&params, 4, &[1, 0, 2], &[0, 2, 2], &[0.0; 8], &mut cache, &mut grads)?;
/// assert!((loss - 3.0 * 4f64.ln()).abs() < 1e-3); // untrained: a uniform guess
/// # Ok::<(), min_char_rnn::Error>(())
/// ```
pub fn loss_fun<F: Float, const V: usize, const H: usize, const T: usize>(
    params: &Params<F, V, H>,
    vocab_size: usize,
    inputs: &[usize; T],
    targets: &[usize; T],
    hprev: &Vector<F, H>,
    cache: &mut Cache<F, V, H, T>,
    grads: &mut Params<F, V, H>,
) -> Result<F, Error> {
    let loss = forward(params, vocab_size, inputs, targets, hprev, cache)?; // F0–F5
    backward(params, vocab_size, cache, targets, hprev, grads)?; //           B1–B6
    Ok(loss)
}
// ANCHOR_END: loss_fun
