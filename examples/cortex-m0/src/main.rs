//! min-char-rnn trains "hello" on a Cortex-M0: no FPU (every f32 operation is
//! a call into the compiler's soft-float routines) and 16 KiB of RAM.
//! `cargo run --release` from this folder runs it under QEMU (board
//! `microbit`, an nRF51) and exits 0 only if it learned and fit.
//! The demo is the Cortex-M4F one's "hello" part, shared source.

#![no_std]
#![no_main]

#[path = "../../cortex-m/src/board.rs"]
mod board;
#[path = "../../cortex-m/src/clock.rs"]
mod clock;
#[path = "../../cortex-m/src/hello.rs"]
mod hello;
#[path = "../../cortex-m/src/stack.rs"]
mod stack;

use core::fmt::Write;

use board::exit;
use cortex_m_rt::entry;

// In .bss: all zeros, no flash image, never on the stack.
static mut HELLO: hello::Hello = hello::Hello::ZERO;

unsafe extern "C" {
    /// The start of `.data`, the first section in RAM (cortex-m-rt's link.x).
    static __sdata: u32;
}

#[entry]
fn main() -> ! {
    // SAFETY: `main` runs once and never returns, no interrupt handler touches
    // this static, so this is the only reference to it, ever.
    let model = &raw mut HELLO;
    let model = unsafe { &mut *model };
    let Some((mut out, clock)) = board::start() else {
        exit(false)
    };
    // All the free RAM, painted: the whole program's peak stack, checks and
    // timing included (`hello::run` paints and measures its training again).
    let painted = stack::paint(stack::stack_start() - stack::statics_end());
    let ok = hello::run(&mut out, clock, model);
    let peak = stack::peak(&painted);
    exit(ok & whole_ram(&mut out, peak))
}

/// All the RAM the program uses, not only the model's: every static (`.data`,
/// `.bss`, `.uninit`) plus the peak stack of the whole run, against the
/// part's RAM (`qemu.x`).
fn whole_ram(out: &mut impl Write, peak: Result<usize, stack::Overrun>) -> bool {
    let ram_start = &raw const __sdata as usize;
    let ram = stack::stack_start() - ram_start;
    let statics = stack::statics_end() - ram_start;
    let peak = match peak {
        Ok(peak) => peak,
        Err(overrun) => {
            let _ = writeln!(out, "[whole program] {overrun}: DOES NOT FIT");
            return false;
        }
    };
    let total = statics + peak;
    let fits = total <= ram;
    let _ = writeln!(
        out,
        "[whole program] RAM: statics {statics} B + peak stack {peak} B = {total} B of the \
         part's {ram} B: {}",
        if fits { "fits" } else { "DOES NOT FIT" }
    );
    fits
}
