//! Inference from flash: a model trained on a PC with `cargo run --release
//! --example train`, written as Rust source by `cargo run --release --example
//! export` into `generated/model.rs`, samples Shakespeare on the chip. The
//! weights are a `static` in flash; RAM holds only the sampler.
//!
//!     cargo run --release --features flash-model --bin flash
//!
//! It prints the same text as `cargo run --release --example sample --
//! CHECKPOINT --prime "ROMEO:" --length 300 --seed 1` on a PC (`.ci/test`
//! compares the two), then the RAM it used and its speed.

#![no_std]
#![no_main]

#[cfg_attr(not(feature = "rtt"), path = "../board.rs")]
#[cfg_attr(feature = "rtt", path = "../board_rtt.rs")]
mod board;
#[path = "../clock.rs"]
mod clock;
#[path = "../stack.rs"]
mod stack;

mod model {
    // MODEL, SYMBOLS, HPREV, V, H: see the export example.
    include!("../../generated/model.rs");
}

use core::fmt::Write;

use board::exit;
use clock::{Clock, Stopwatch};
use cortex_m_rt::entry;
use min_char_rnn::{Pick, Rng, Sampler, Vocab};

/// The PC's `sample` command line this must agree with.
const PRIME: &str = "ROMEO:";
const LENGTH: usize = 300;
const SEED: u64 = 1;
/// `sample`'s default temperature.
const PICK: Pick = Pick::Sample { temperature: 0.8 };
/// Characters sampled again, unprinted, to measure the speed.
const TIMED: usize = 2000;
/// The stack painted to measure the peak: the sampler needs a few KiB.
const STACK_BUDGET: usize = 16 * 1024;

#[entry]
fn main() -> ! {
    let Some((mut out, clock)) = board::start() else {
        exit(false)
    };
    let painted = stack::paint(STACK_BUDGET);
    if let Some(refusal) = painted.refusal() {
        let _ = writeln!(out, "[flash] {refusal}");
    }
    let ok = sample(&mut out, clock);
    let peak = match stack::peak(&painted) {
        Ok(peak) => peak,
        Err(overrun) => {
            let _ = writeln!(out, "[flash] {overrun}");
            exit(false)
        }
    };
    let _ = writeln!(
        out,
        "[flash] model in flash: {} B of parameters (V = {}, H = {}); RAM: peak stack \
         {peak} B, no other state",
        core::mem::size_of_val(&model::MODEL),
        model::V,
        model::H
    );
    exit(ok)
}

/// The model in flash, from the hidden state training ended in, fed PRIME.
fn primed<'a>(
    vocab: &'a Vocab<{ model::V }>,
    rng: &'a mut Rng,
) -> Option<Sampler<'a, f32, { model::V }, { model::H }>> {
    Sampler::primed(&model::MODEL, vocab, rng, &model::HPREV, PRIME, PICK).ok()
}

/// Samples LENGTH characters after PRIME, as the PC's `sample` does, between
/// two marker lines; then TIMED more to measure the speed.
#[inline(never)]
fn sample(out: &mut impl Write, clock: Clock) -> bool {
    let Ok(vocab) = Vocab::<{ model::V }>::from_symbols(&model::SYMBOLS) else {
        return false;
    };
    let mut rng = Rng::new(SEED);
    let Some(sampler) = primed(&vocab, &mut rng) else {
        return false;
    };
    let _ = write!(out, "-----BEGIN SAMPLE-----\n{PRIME}");
    for c in sampler.take(LENGTH) {
        let _ = out.write_char(c);
    }
    let _ = writeln!(out, "\n-----END SAMPLE-----");

    let watch = Stopwatch::start(clock); // 2,000 characters: far from a wrap
    let mut rng = Rng::new(SEED + 1);
    let Some(sampler) = primed(&vocab, &mut rng) else {
        return false;
    };
    let n = sampler.take(TIMED).filter(|&c| c != '\0').count();
    let rate = watch.rate(n as u32, "characters");
    let _ = writeln!(out, "[flash] speed: {rate}");
    n == TIMED
}
