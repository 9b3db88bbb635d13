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

#[path = "../board.rs"]
mod board;
#[path = "../stack.rs"]
mod stack;

mod model {
    // MODEL, SYMBOLS, HPREV, V, H: see the export example.
    include!("../../generated/model.rs");
}

use core::fmt::Write;

use board::{clock_cs, exit};
use cortex_m_rt::entry;
use cortex_m_semihosting::hio;
use min_char_rnn::{Pick, Rng, Sampler, Vocab};
use panic_semihosting as _;

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
    let Ok(mut out) = hio::hstdout() else {
        exit(false)
    };
    let painted = match stack::paint(STACK_BUDGET) {
        Ok(painted) => painted,
        Err(refused) => {
            let _ = writeln!(out, "[flash] {refused}");
            exit(false)
        }
    };
    let ok = sample(&mut out);
    let Some(peak) = stack::peak(&painted) else {
        let _ = writeln!(
            out,
            "[flash] the stack used all of its {STACK_BUDGET} B, or more"
        );
        exit(false)
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
fn sample(out: &mut impl Write) -> bool {
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

    let t0 = clock_cs();
    let mut rng = Rng::new(SEED + 1);
    let Some(sampler) = primed(&vocab, &mut rng) else {
        return false;
    };
    let n = sampler.take(TIMED).filter(|&c| c != '\0').count();
    let cs = clock_cs().wrapping_sub(t0).max(1);
    let _ = writeln!(
        out,
        "[flash] {n} more characters in {}.{:02} s of QEMU: {} characters/s",
        cs / 100,
        cs % 100,
        n as u32 * 100 / cs
    );
    n == TIMED
}
