//! The engine: the training pass shaped for the machine, proven equal to
//! the teaching layer.
//!
//! The teaching layer ([`matrix`](crate::matrix), [`forward`](crate::forward),
//! [`backward`](crate::backward), [`clip`](crate::clip),
//! [`adagrad`](crate::adagrad)) is the definition of the model: Karpathy's
//! min-char-rnn, one equation at a time, every sum left to right. The engine
//! computes the same thing faster: tiles of sums kept in registers, rows read
//! in the order the cache likes, products batched over the window, clipping
//! fused with Adagrad, `exp`, `tanh` and 1/√x without calls. It imports the
//! teaching layer; the teaching layer never imports it.
//! [`Trainer::step`](crate::Trainer::step) runs the engine,
//! [`Trainer::step_reference`](crate::Trainer::step_reference) the teaching
//! layer.
//!
//! Every function here has a reference it equals, and a test in
//! `tests/engine_equals_reference.rs` that says how closely: bit for bit
//! where the engine adds in the same order, within a stated bound where it
//! groups the additions differently or approximates a function.
//!
//! | engine | equals | bound (test) |
//! |---|---|---|
//! | [`products::axpy`], [`products::add_outer`] | [`matrix::axpy`](crate::matrix::axpy), [`matrix::add_outer`](crate::matrix::add_outer) | bit for bit without FMA; one rounding per element with it (`axpy_and_add_outer`) |
//! | [`products::matvec_transposed_add_ordered`] (either order) | [`matrix::matvec_transposed_add`](crate::matrix::matvec_transposed_add) | sums regrouped: 2(n + 1) ε Σ\|terms\| (`transposed_products`) |
//! | [`products::matmat_transposed_add`] | `matvec_transposed_add`, once per vector | as above (`transposed_products`); bit for bit with the engine's own single product (unit test) |
//! | [`products::matmat_transposed_add_ordered`] | `matvec_transposed_add_ordered`, once per stream | bit for bit (unit test `streams_sum_as_one_product_each`) |
//! | [`products::sum_outer`] | `add_outer`, once per pair | 2 n ε Σ\|terms\| (`sum_of_outer_products`) |
//! | [`products::transpose`] | the definition `t[j][i] = a[i][j]` | exact (`transpose_is_exact`) |
//! | [`approx::exp_nonpositive`], [`approx::expm1_nonpositive`], [`approx::tanh`], [`approx::rsqrt`] | `libm`'s `exp`, `expm1`, `tanh`, `1/sqrt` | 2, 2, 3, 2 ulp over the whole range (unit tests in `approx`) |
//! | [`activation::softmax`], [`activation::tanh_in_place`] | [`activation::softmax`](crate::activation::softmax), [`activation::tanh_in_place`](crate::activation::tanh_in_place) | 8 ulp, 3 ulp (`activations`) |
//! | [`activation::softmax_and_loss`] | `softmax`, then [`forward::loss_forward`](crate::forward::loss_forward) | through the whole window's loss (`one_window_f64`, `one_window_f32`) |
//! | [`update::clip_and_update`] | [`clip`](crate::clip::clip) then [`Adagrad::update`](crate::Adagrad::update) | bit for bit where [`ADAGRAD_DIVIDES`] without FMA; else θ within 4 ulp of its step, m within 1 ulp (`clip_and_adagrad`) |
//! | [`pass::forward`], [`pass::backward`] | [`forward::forward`](crate::forward::forward), [`backward::backward`](crate::backward::backward) | loss and every gradient: f64 1e−12, f32 1e−4 relative to the largest element (`one_window_f64`, `one_window_f32`) |
//! | [`batch::forward`], [`batch::backward`] | `pass::forward`, `pass::backward` once per stream | per stream bit for bit; the summed gradients within 1e−12 of the largest element, f64 (`tests/batch.rs`: `streams_equal_separate_passes`) |
//! | [`BatchTrainer::step`](crate::BatchTrainer::step) | [`BatchTrainer::step_reference`](crate::BatchTrainer::step_reference); with B = 1, [`Trainer::step`](crate::Trainer::step) | 60 steps from the same state: f64 losses 1e−12, parameters 1e−10; B = 1: bit for bit (`tests/batch.rs`) |
//! | [`BatchTrainer::gradients`](crate::BatchTrainer::gradients) on K shards of S streams, then [`BatchTrainer::finish`](crate::BatchTrainer::finish) | one `BatchTrainer` of K·S streams | 100 steps, two shards on two threads: f64 losses 1e−12, parameters 1e−10 (`shards_train_as_one_batch`) |
//! | [`Trainer::step`](crate::Trainer::step) | [`Trainer::step_reference`](crate::Trainer::step_reference) | 100 steps, each from the same state: f64 losses 1e−12 relative, parameters 1e−10, Adagrad memory 1e−12 relative (`hundred_steps`) |
//!
//! Every `cfg` of the crate is in [`target`].

pub mod activation;
pub mod approx;
pub mod batch;
pub mod float;
pub mod pass;
pub mod products;
pub mod target;
pub mod update;

pub use batch::BatchWorkspace;
pub use float::FastFloat;
pub use pass::Workspace;
pub use target::{ADAGRAD_DIVIDES, FUSED_MULTIPLY_ADD, ROW_ALIGN, Row};
