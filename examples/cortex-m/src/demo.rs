//! The microcontroller demo itself, shared by the Cortex-M and RISC-V crates:
//! train "hello", then a Macbeth soliloquy, on the chip, and check the budgets.
//!
//! Everything here is `no_std` and allocation-free; each board crate supplies
//! the statics, a console and a clock.

use core::fmt::Write;

use min_char_rnn::{Params, Pick, Rng, Sampler, Text, Trainer, Vocab};

/// A model and everything needed to train it, in one block of memory.
pub struct Model<const V: usize, const H: usize, const T: usize> {
    /// The weights.
    pub params: Params<f32, V, H>,
    /// Gradients, Adagrad memory, cache, `hprev`.
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
    /// cache, the trainer itself):
    /// parameters s·P, trainer s·(2P + T·(2H + V) + H·(H + V) + H + 1) + w·(T + 2) + 16,
    /// with s = 4 (f32) and w = 4 (a 32-bit `usize`).
    pub const FORMULA: usize = {
        let p = 2 * V * H + H * H + H + V;
        let w = core::mem::size_of::<usize>();
        4 * p + 4 * (2 * p + T * (2 * H + V) + H * (H + V) + H + 1) + w * (T + 2) + 16
    };
}

/// "hello": V = 4 symbols, H = 12 hidden units, T = 4 steps per window.
pub type Hello = Model<4, 12, 4>;
/// The "To-morrow, and to-morrow" soliloquy: V = 37, H = 48, T = 25.
pub type Tomorrow = Model<37, 48, 25>;

/// Macbeth V.5, baked into flash: 406 characters, 37 distinct.
pub const TOMORROW: &str = include_str!("tomorrow.txt");

/// RAM budgets, state plus peak stack: the smallest Cortex-M0+/M4 parts have 8 KiB,
/// common mid-range parts 128 KiB.
pub const HELLO_BUDGET: usize = 8 * 1024;
/// See [`HELLO_BUDGET`].
pub const TOMORROW_BUDGET: usize = 128 * 1024;

/// A float printed with `d` decimals by integer arithmetic: `core`'s float
/// formatting needs kilobytes of stack, which would dwarf the "hello" model.
struct Fixed(f32, u32);

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

/// Runs both demos; returns `true` if both learned and fit their budgets.
pub fn run(
    out: &mut impl Write,
    clock_cs: impl Fn() -> u32,
    hello: &mut Hello,
    tomorrow: &mut Tomorrow,
) -> bool {
    let t0 = clock_cs();
    let mut ok = true;

    let top = stack::paint();
    let learned = train_hello(out, hello);
    let peak = stack::peak(top);
    ok &= learned
        & report(
            out,
            "hello",
            Hello::BYTES,
            Hello::FORMULA,
            peak,
            HELLO_BUDGET,
        );

    let top = stack::paint();
    let learned = train_tomorrow(out, tomorrow);
    let peak = stack::peak(top);
    ok &= learned
        & report(
            out,
            "tomorrow",
            Tomorrow::BYTES,
            Tomorrow::FORMULA,
            peak,
            TOMORROW_BUDGET,
        );

    let cs = clock_cs().wrapping_sub(t0);
    let _ = writeln!(
        out,
        "total time {}.{:02} s (host clock)",
        cs / 100,
        cs % 100
    );
    ok
}

fn report(
    out: &mut impl Write,
    name: &str,
    state: usize,
    formula: usize,
    stack: usize,
    budget: usize,
) -> bool {
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

#[inline(never)] // so that its stack is its own, measured apart from the other demo
fn train_hello(out: &mut impl Write, m: &mut Hello) -> bool {
    let Ok(vocab) = Vocab::<4>::from_text("hello") else {
        return false;
    };
    let Ok(text) = Text::new(&vocab, "hello") else {
        return false;
    };
    let mut rng = Rng::new(42);
    m.params.init(&mut rng);
    m.trainer.reset();
    let mut loss = f32::INFINITY;
    for step in 1..=300 {
        loss = match m.trainer.step(&mut m.params, &text) {
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

#[inline(never)]
fn train_tomorrow(out: &mut impl Write, m: &mut Tomorrow) -> bool {
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
    for step in 1..=STEPS {
        if let Err(e) = m.trainer.step(&mut m.params, &text) {
            let _ = writeln!(out, "[tomorrow] error: {e}");
            return false;
        }
        if step == 1 {
            start = m.trainer.smooth_loss;
        }
        if step == 1 || step % 250 == 0 {
            let s = Fixed(m.trainer.smooth_loss, 2);
            let _ = writeln!(out, "[tomorrow] step {step:>4}  smooth loss {s}");
        }
    }
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
    let end = m.trainer.smooth_loss;
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

/// Peak stack measurement by painting: fill the free stack with a pattern, run,
/// then find the lowest word that no longer holds the pattern.
mod stack {
    const PAINT: u32 = 0xCCCC_CCCC;
    /// How deep below the current frame to paint (the boards have megabytes).
    const DEPTH: usize = 16 * 1024;

    unsafe extern "C" {
        /// The initial stack pointer, defined by cortex-m-rt's and riscv-rt's link.x.
        static _stack_start: u32;
    }

    /// Paints `DEPTH` bytes below this function's own frame; returns the painted top.
    #[inline(never)]
    pub fn paint() -> usize {
        let marker = 0u32;
        let here = core::hint::black_box(&marker) as *const u32 as usize;
        let top = (here - 256) & !3; // stay clear of this function's own frame
        let mut p = top - DEPTH;
        while p < top {
            // SAFETY: [top - DEPTH, top) is unused stack below every live frame:
            // the boards' RAM extends megabytes below the stack pointer, and
            // nothing else lives there (statics sit at the bottom of RAM).
            unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
            p += 4;
        }
        top
    }

    /// The peak stack use since `paint` returned `top`, counted from the very top
    /// of the stack (so start-up code and `main` are included).
    #[inline(never)]
    pub fn peak(top: usize) -> usize {
        let mut p = top - DEPTH;
        // SAFETY: the same region `paint` wrote; reading it is always valid.
        while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
            p += 4;
        }
        let stack_start = &raw const _stack_start as usize;
        stack_start - p
    }
}
