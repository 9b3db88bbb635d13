//! The "hello" demo: a model of four symbols trained on the chip, its RAM
//! measured against a budget, and the engine checked against the teaching
//! layer. All that the 16 KiB Cortex-M0 runs; `demo.rs` adds the soliloquy.
//! (Shared by this crate, `examples/riscv/` and `examples/cortex-m0/`.)
//!
//! Everything here is `no_std` and allocation-free; each board crate supplies
//! the statics, a console and a clock.

use core::fmt::Write;

use crate::clock::{Clock, Stopwatch};
use crate::stack;

use min_char_rnn::engine::pass;
use min_char_rnn::{Error, Params, Pick, Rng, Sampler, Text, Trainer, Vocab, loss_fun};

/// A model and everything needed to train it, in one block of memory.
pub struct Model<const V: usize, const H: usize, const T: usize> {
    /// The weights.
    pub params: Params<f32, V, H>,
    /// Gradients, Adagrad memory, the teaching layer's cache, the engine's
    /// workspace, `hprev`.
    pub trainer: Trainer<f32, V, H, T>,
}

impl<const V: usize, const H: usize, const T: usize> Model<V, H, T> {
    /// All zeros: lands in `.bss`, costs no flash.
    pub const ZERO: Self = Model {
        params: Params::ZERO,
        trainer: Trainer::ZERO,
    };

    /// Bytes of RAM this model occupies.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// The crate's documented formula (README, "Memory"), before padding (less than
    /// 16 bytes for each of the five 16-byte aligned pieces: three `Params`, the
    /// engine's workspace, the trainer itself): parameters s·P, trainer
    /// s·(2P + T·(3H + 2V) + H·(H + V) + H) + w·(2T + 2) + 24, with s = 4
    /// (f32) and w = 4 (a 32-bit `usize`).
    pub const FORMULA: usize = {
        let p = 2 * V * H + H * H + H + V;
        let w = core::mem::size_of::<usize>();
        4 * p + 4 * (2 * p + T * (3 * H + 2 * V) + H * (H + V) + H) + w * (2 * T + 2) + 24
    };
}

/// One training step: by the engine, or with the `textbook` feature by the
/// teaching layer (`Trainer::step_reference`), which needs less flash.
pub fn train_step<const V: usize, const H: usize, const T: usize>(
    m: &mut Model<V, H, T>,
    text: &Text<'_, V>,
) -> Result<f32, Error> {
    if cfg!(feature = "textbook") {
        m.trainer.step_reference(&mut m.params, text)
    } else {
        m.trainer.step(&mut m.params, text)
    }
}

/// "hello": V = 4 symbols, H = 12 hidden units, T = 4 steps per window.
pub type Hello = Model<4, 12, 4>;

/// RAM budget, state plus peak stack: the smallest Cortex-M0+/M4 parts have 8 KiB.
pub const HELLO_BUDGET: usize = 8 * 1024;
/// Training steps of the "hello" demo.
pub const HELLO_STEPS: u32 = 300;

/// A float printed with `d` decimals by integer arithmetic: `core`'s float
/// formatting needs kilobytes of stack, which would dwarf the "hello" model.
pub struct Fixed(pub f32, pub u32);

impl core::fmt::Display for Fixed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Fixed(x, d) = *self;
        if !x.is_finite() {
            return f.write_str("non-finite");
        }
        let scale = 10u32.pow(d);
        let v = (x.abs() * scale as f32 + 0.5) as u32;
        let sign = if x < 0.0 { "-" } else { "" };
        write!(f, "{sign}{}.{:0w$}", v / scale, v % scale, w = d as usize)
    }
}

/// Trains "hello" with its stack painted, reports its RAM, checks the two
/// layers agree and times training; `true` if it learned, fit and agreed.
pub fn run(out: &mut impl Write, clock: Clock, m: &mut Hello) -> bool {
    let painted = stack::paint(HELLO_BUDGET - Hello::BYTES.min(HELLO_BUDGET));
    if let Some(refusal) = painted.refusal() {
        let _ = writeln!(out, "[hello] {refusal}");
    }
    let learned = train(out, m);
    let peak = stack::peak(&painted);
    let (state, formula) = (Hello::BYTES, Hello::FORMULA);
    let fits = report(out, "hello", state, formula, peak, HELLO_BUDGET);
    learned & fits & layers_agree(out, m) & speed(out, clock, m)
}

/// Prints the RAM a model used: its state plus the peak stack, against the
/// budget.
pub fn report(
    out: &mut impl Write,
    name: &str,
    state: usize,
    formula: usize,
    peak: Result<usize, stack::Overrun>,
    budget: usize,
) -> bool {
    let stack = match peak {
        Ok(stack) => stack,
        Err(overrun) => {
            let _ = writeln!(
                out,
                "[{name}] RAM: state {state} B; {overrun}: DOES NOT FIT"
            );
            return false;
        }
    };
    let total = state + stack;
    let fits = total <= budget && state >= formula && state < formula + 5 * 16;
    let _ = writeln!(
        out,
        "[{name}] RAM: state {state} B (formula {formula} B + {} B padding) + peak stack \
         {stack} B = {total} B of a {budget} B budget: {}",
        state - formula.min(state),
        if fits { "fits" } else { "DOES NOT FIT" }
    );
    fits
}

/// The "hello" vocabulary and text, or `None` (never, for this text).
fn hello_text(vocab: &Vocab<4>) -> Option<Text<'_, 4>> {
    Text::new(vocab, "hello").ok()
}

#[inline(never)] // so that its stack is its own, measured apart from the other demo
fn train(out: &mut impl Write, m: &mut Hello) -> bool {
    let Ok(vocab) = Vocab::<4>::from_text("hello") else {
        return false;
    };
    let Some(text) = hello_text(&vocab) else {
        return false;
    };
    let mut rng = Rng::new(42);
    m.params.init(&mut rng);
    m.trainer.reset();
    let mut loss = f32::INFINITY;
    for step in 1..=HELLO_STEPS {
        loss = match train_step(m, &text) {
            Ok(loss) => loss,
            Err(e) => {
                let _ = writeln!(out, "[hello] error: {e}");
                return false;
            }
        };
        if step == 1 || step % 100 == 0 {
            let _ = writeln!(out, "[hello] step {step:>3}  loss {}", Fixed(loss, 4));
        }
    }
    let mut word = [' '; 5];
    word[0] = 'h';
    if let Ok(s) = Sampler::new(&m.params, &vocab, &mut rng, "h", Pick::Argmax) {
        for (slot, c) in word[1..].iter_mut().zip(s) {
            *slot = c;
        }
    }
    let _ = write!(out, "[hello] from 'h' the model writes: ");
    for c in word {
        let _ = out.write_char(c);
    }
    let _ = writeln!(out);
    word == ['h', 'e', 'l', 'l', 'o'] && loss < 0.05
}

/// The engine and the teaching layer on the chip, built without `std` (no
/// fused multiply-add, Newton's 1/√x in Adagrad): one window of the trained
/// model by both, the loss and every gradient within 1e-5. Absolute, not
/// relative: a trained model has p ≈ 1 for the right symbol, so the loss
/// −ln p ≈ 1 − p and dy = p − 1 are small and carry the rounding of p
/// itself, an ulp of 1 (6e-8), whatever their size.
/// (Run after the RAM report: it is a test, not part of training.)
#[inline(never)]
fn layers_agree<const H: usize, const T: usize>(
    out: &mut impl Write,
    m: &mut Model<4, H, T>,
) -> bool {
    let (Ok(vocab), mut xs, mut targets) = (Vocab::<4>::from_text("hello"), [0; T], [0; T]) else {
        return false;
    };
    let Some(text) = hello_text(&vocab) else {
        return false;
    };
    if text.window(0, &mut xs, &mut targets).is_none() {
        return false;
    }
    let (n, hprev, tr) = (text.vocab().len(), [0.0; H], &mut m.trainer);
    let mut grads = Params::<f32, 4, H>::ZERO;
    let (Ok(a), Ok(b)) = (
        loss_fun(
            &m.params,
            n,
            &xs,
            &targets,
            &hprev,
            &mut tr.cache,
            &mut grads,
        ),
        pass::forward(&m.params, n, &xs, &targets, &hprev, &mut tr.work),
    ) else {
        return false;
    };
    if pass::backward(&m.params, n, &mut tr.work, &targets, &hprev, &mut tr.grads).is_err() {
        return false;
    }
    let mut worst = (a - b).abs(); // the loss, in nats
    for (fast, reference) in tr.grads.tensors().iter().zip(grads.tensors()) {
        for (x, y) in fast.iter().zip(reference) {
            worst = worst.max((x - y).abs());
        }
    }
    let agree = worst <= 1e-5;
    let _ = writeln!(
        out,
        "[hello] engine and teaching layer, one window: loss {} and {}, loss and gradients \
         within {} millionths ({})",
        Fixed(a, 4),
        Fixed(b, 4),
        Fixed(worst * 1e6, 2),
        if agree { "equal" } else { "NOT EQUAL" }
    );
    agree
}

/// Training steps timed by [`speed`]: enough that the host clock's
/// centiseconds resolve even a fast core's run.
pub const TIMED_STEPS: u32 = 3000;

/// Trains the "hello" model again from the same start, `TIMED_STEPS` steps
/// without printing, and prints their speed. `false` on a training error.
#[inline(never)]
fn speed(out: &mut impl Write, clock: Clock, m: &mut Hello) -> bool {
    let Ok(vocab) = Vocab::<4>::from_text("hello") else {
        return false;
    };
    let Some(text) = hello_text(&vocab) else {
        return false;
    };
    m.params.init(&mut Rng::new(42));
    m.trainer.reset();
    let mut watch = Stopwatch::start(clock);
    for step in 1..=TIMED_STEPS {
        if train_step(m, &text).is_err() {
            return false;
        }
        if step % 100 == 0 {
            watch.lap(); // often enough for a cycle counter that wraps
        }
    }
    let _ = writeln!(out, "[hello] speed: {}", watch.rate(TIMED_STEPS, "steps"));
    true
}
