//! The microcontroller demo, shared by the Cortex-M and RISC-V crates: train
//! "hello" (`hello.rs`), then a Macbeth soliloquy, on the chip, and check the
//! budgets.
//!
//! Everything here is `no_std` and allocation-free; each board crate supplies
//! the statics, a console and a clock.

use core::fmt::Write;

use crate::clock::{Clock, Stopwatch};
use crate::hello::{self, Fixed, Hello, Model, train_step};
use crate::stack;

use min_char_rnn::{Pick, Rng, Sampler, Text, Vocab};

/// The "To-morrow, and to-morrow" soliloquy: V = 37, H = 48, T = 25.
pub type Tomorrow = Model<37, 48, 25>;

/// Macbeth V.5, baked into flash: 406 characters, 37 distinct.
pub const TOMORROW: &str = include_str!("tomorrow.txt");

/// RAM budget, state plus peak stack: common mid-range parts have 128 KiB.
pub const TOMORROW_BUDGET: usize = 128 * 1024;

/// Runs both demos; returns `true` if both learned and fit their budgets.
pub fn run(out: &mut impl Write, clock: Clock, hello: &mut Hello, tomorrow: &mut Tomorrow) -> bool {
    let ok = hello::run(out, clock, hello);
    ok & run_tomorrow(out, clock, tomorrow)
}

/// Trains the soliloquy with its stack painted and reports its RAM; `true`
/// if it learned and fit.
fn run_tomorrow(out: &mut impl Write, clock: Clock, m: &mut Tomorrow) -> bool {
    let painted = stack::paint(TOMORROW_BUDGET - Tomorrow::BYTES.min(TOMORROW_BUDGET));
    if let Some(refusal) = painted.refusal() {
        let _ = writeln!(out, "[tomorrow] {refusal}");
    }
    let learned = train_tomorrow(out, clock, m);
    let peak = stack::peak(&painted);
    let (state, formula) = (Tomorrow::BYTES, Tomorrow::FORMULA);
    learned & hello::report(out, "tomorrow", state, formula, peak, TOMORROW_BUDGET)
}

#[inline(never)]
fn train_tomorrow(out: &mut impl Write, clock: Clock, m: &mut Tomorrow) -> bool {
    const STEPS: u32 = 2000;
    let vocab = match Vocab::<37>::from_text(TOMORROW) {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(out, "[tomorrow] error: {e}");
            return false;
        }
    };
    let Ok(text) = Text::new(&vocab, TOMORROW) else {
        return false;
    };
    let mut rng = Rng::new(7);
    m.params.init(&mut rng);
    m.trainer.reset();
    let mut start = 0.0;
    let mut watch = Stopwatch::start(clock);
    for step in 1..=STEPS {
        if let Err(e) = train_step(m, &text) {
            let _ = writeln!(out, "[tomorrow] error: {e}");
            return false;
        }
        watch.lap();
        if step == 1 {
            start = m.trainer.smooth_loss as f32;
        }
        if step == 1 || step % 250 == 0 {
            let s = Fixed(m.trainer.smooth_loss as f32, 2);
            let _ = writeln!(out, "[tomorrow] step {step:>4}  smooth loss {s}");
        }
    }
    let _ = writeln!(out, "[tomorrow] speed: {}", watch.rate(STEPS, "steps"));
    let _ = writeln!(
        out,
        "[tomorrow] sample (temperature 0.5, primed with \"To\"):"
    );
    let _ = write!(out, "To");
    let pick = Pick::Sample { temperature: 0.5 };
    if let Ok(s) = Sampler::new(&m.params, &vocab, &mut rng, "To", pick) {
        for c in s.take(200) {
            let _ = out.write_char(c);
        }
    }
    let _ = writeln!(out);
    let end = m.trainer.smooth_loss as f32;
    let learned = end < 0.5 * start;
    let _ = writeln!(
        out,
        "[tomorrow] smooth loss {} -> {} in {STEPS} steps ({})",
        Fixed(start, 2),
        Fixed(end, 2),
        if learned {
            "learned: below half"
        } else {
            "NOT LEARNED: not below half"
        }
    );
    learned
}
