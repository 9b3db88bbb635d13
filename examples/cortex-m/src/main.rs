//! min-char-rnn trains on a Cortex-M4F: `cargo run --release` from this folder
//! runs it under QEMU (board mps2-an386) and exits 0 only if it learned; with
//! a board's feature (`--features nucleo-f411`, `nrf52840-dk`) it is built
//! for that board, its output going through RTT.

#![no_std]
#![no_main]

#[cfg_attr(feature = "rtt", path = "board_rtt.rs")]
mod board;
mod clock;
mod demo;
mod hello;
mod stack;

use board::exit;
use cortex_m_rt::entry;

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
    let Some((mut out, clock)) = board::start() else {
        exit(false)
    };
    exit(demo::run(&mut out, clock, hello, tomorrow))
}
