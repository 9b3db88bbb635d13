//! min-char-rnn trains on a 32-bit RISC-V core: `cargo run --release` from this
//! folder runs it under QEMU (board `virt`) and exits 0 only if it learned.
//! The demo itself is the Cortex-M one, shared source for shared behaviour.

#![no_std]
#![no_main]

#[path = "../../cortex-m/src/clock.rs"]
mod clock;
#[path = "../../cortex-m/src/demo.rs"]
mod demo;
#[path = "../../cortex-m/src/hello.rs"]
mod hello;
#[path = "../../cortex-m/src/stack.rs"]
mod stack;

use clock::Clock;
use riscv_semihosting::{debug, hio};

/// Centiseconds since QEMU started (semihosting SYS_CLOCK: the host's clock).
fn clock_cs() -> u32 {
    // SAFETY: SYS_CLOCK takes no argument and only reads the host's clock.
    unsafe { riscv_semihosting::syscall!(CLOCK) as u32 }
}

// In .bss: all zeros, no flash image, never on the stack.
static mut HELLO: hello::Hello = hello::Hello::ZERO;
static mut TOMORROW: demo::Tomorrow = demo::Tomorrow::ZERO;

#[riscv_rt::entry]
fn main() -> ! {
    // SAFETY: `main` runs once on the only hart and never returns; no interrupt
    // handler touches these statics, so these are the only references to them.
    let (hello, tomorrow) = (&raw mut HELLO, &raw mut TOMORROW);
    let (hello, tomorrow) = unsafe { (&mut *hello, &mut *tomorrow) };
    let Ok(mut out) = hio::hstdout() else {
        exit(false)
    };
    exit(demo::run(&mut out, Clock::Host(clock_cs), hello, tomorrow))
}

/// Ends the QEMU run with exit status 0 (`ok`) or 1.
fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        // Only reached on real hardware, where there is no host to exit to.
        riscv::asm::wfi();
    }
}

// There is no panic-semihosting for RISC-V: print the message and exit with 1.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    riscv_semihosting::hprintln!("{}", info);
    crate::exit(false)
}
