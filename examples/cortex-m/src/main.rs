//! min-char-rnn trains on a Cortex-M4F: `cargo run --release` from this folder
//! runs it under QEMU (board mps2-an386) and exits 0 only if it learned.

#![no_std]
#![no_main]

mod board;
mod demo;
mod hello;
mod stack;

use board::{clock_cs, exit};
use cortex_m_rt::entry;
use cortex_m_semihosting::hio;
use panic_semihosting as _; // a panic prints its message and exits QEMU with 1

// The models live in .bss: all zeros, so they cost no flash and are never
// built on the stack (`cortex_m::singleton!` would build its value on the
// stack and copy it from a zero image in flash).
static mut HELLO: hello::Hello = hello::Hello::ZERO;
static mut TOMORROW: demo::Tomorrow = demo::Tomorrow::ZERO;

#[entry]
fn main() -> ! {
    // SAFETY: `main` runs once and never returns, no interrupt handler touches
    // these statics, so these are the only references to them, ever.
    let (hello, tomorrow) = (&raw mut HELLO, &raw mut TOMORROW);
    let (hello, tomorrow) = unsafe { (&mut *hello, &mut *tomorrow) };
    let Ok(mut out) = hio::hstdout() else {
        exit(false)
    };
    exit(demo::run(&mut out, clock_cs, hello, tomorrow))
}
