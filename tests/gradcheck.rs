//! G1: the gradient check. BPTT's analytic gradient of every element of all five
//! parameter tensors against a central difference of the loss
//! (`min_char_rnn::gradcheck::numerical_gradient`), in f64, clipping off, for
//! the teaching layer's `loss_fun` and for the engine's training pass.

use min_char_rnn::engine::{Workspace, pass};
use min_char_rnn::gradcheck::{Window, numerical_gradient, relative_error};
use min_char_rnn::{Cache, Params, Rng, TENSOR_NAMES, loss_fun};

const V: usize = 5;
const H: usize = 7;
const T: usize = 6;

/// Weights larger than min-char-rnn's 0.01 so that every gradient is far from
/// zero and a relative error is meaningful; every symbol occurs as an input.
fn setup() -> (Params<f64, V, H>, [f64; H], [usize; T], [usize; T]) {
    let mut rng = Rng::new(2024);
    let mut params = Params::<f64, V, H>::ZERO;
    for tensor in params.tensors_mut() {
        for w in tensor {
            *w = 0.5 * rng.normal();
        }
    }
    let mut hprev = [0.0; H];
    for h in &mut hprev {
        *h = 0.5 * rng.normal();
    }
    (params, hprev, [0, 1, 2, 3, 4, 2], [1, 2, 3, 4, 2, 0])
}

/// BPTT's gradients of the loss (clipping off), by the teaching layer's
/// `loss_fun`.
fn analytic_gradients(
    params: &Params<f64, V, H>,
    hprev: &[f64; H],
    xs: &[usize; T],
    ys: &[usize; T],
) -> Params<f64, V, H> {
    let mut cache = Cache::<f64, V, H, T>::ZERO;
    let mut grads = Params::ZERO;
    loss_fun(params, V, xs, ys, hprev, &mut cache, &mut grads).unwrap();
    grads
}

/// The same, by the engine's training pass.
fn engine_gradients(
    params: &Params<f64, V, H>,
    hprev: &[f64; H],
    xs: &[usize; T],
    ys: &[usize; T],
) -> Params<f64, V, H> {
    let mut work = Workspace::<f64, V, H, T>::ZERO;
    let mut grads = Params::ZERO;
    pass::forward(params, V, xs, ys, hprev, &mut work).unwrap();
    pass::backward(params, V, &mut work, ys, hprev, &mut grads).unwrap();
    grads
}

/// The check of one element, with ε = 1e-5.
fn numerical(
    params: &mut Params<f64, V, H>,
    hprev: &[f64; H],
    xs: &[usize; T],
    ys: &[usize; T],
    k: usize,
    i: usize,
) -> f64 {
    let mut cache = Cache::ZERO;
    let window = Window {
        vocab_size: V,
        hprev,
        xs,
        targets: ys,
    };
    numerical_gradient(params, &mut cache, window, (k, i), 1e-5).unwrap()
}

#[test]
fn bptt_matches_central_differences_everywhere() {
    let (params, hprev, xs, ys) = setup();
    let grads = analytic_gradients(&params, &hprev, &xs, &ys);
    check_against_central_differences("teaching layer", params, &grads, (&hprev, &xs, &ys));
}

#[test]
fn the_engine_matches_central_differences_everywhere() {
    let (params, hprev, xs, ys) = setup();
    let grads = engine_gradients(&params, &hprev, &xs, &ys);
    check_against_central_differences("engine", params, &grads, (&hprev, &xs, &ys));
}

/// Every element of `grads` against its central difference: relative error
/// below 1e-6.
fn check_against_central_differences(
    who: &str,
    mut params: Params<f64, V, H>,
    grads: &Params<f64, V, H>,
    (hprev, xs, ys): (&[f64; H], &[usize; T], &[usize; T]),
) {
    let mut worst = (0.0, "", 0, 0.0, 0.0);
    let mut checked = 0;
    for (k, name) in TENSOR_NAMES.iter().enumerate() {
        for i in 0..grads.tensors()[k].len() {
            let a = grads.tensors()[k][i];
            let n = numerical(&mut params, hprev, xs, ys, k, i);
            assert!(
                a.abs() > 1e-6,
                "{name}[{i}] = {a}: too small to check relatively"
            );
            let e = relative_error(a, n);
            if e > worst.0 {
                worst = (e, name, i, a, n);
            }
            checked += 1;
        }
    }
    let (e, name, i, a, n) = worst;
    println!(
        "gradcheck ({who}): {checked} elements, worst relative error {e:.3e} at {name}[{i}] \
         (analytic {a:.12e}, numerical {n:.12e})"
    );
    assert_eq!(checked, Params::<f64, V, H>::COUNT);
    assert!(
        e < 1e-6,
        "worst relative error {e:e} at {name}[{i}]: {a} vs {n}"
    );
}

#[test]
fn gradcheck_detects_a_wrong_gradient() {
    // The check must be able to fail: perturb one analytic element by 1e-4 relative.
    let (mut params, hprev, xs, ys) = setup();
    let grads = analytic_gradients(&params, &hprev, &xs, &ys);
    let wrong = grads.Whh[3][4] * (1.0 + 1e-4);
    let n = numerical(&mut params, &hprev, &xs, &ys, 1, 3 * H + 4);
    assert!(relative_error(wrong, n) > 1e-6);
}
