//! What the demos need from the board under QEMU: a console, a clock, an exit
//! status, and fault and panic handlers that exit instead of spinning
//! forever, all through semihosting (the debugger's channel to the host,
//! which QEMU implements). On a real board without a debugger a semihosting
//! call stops the core: build with a board's feature, which uses
//! `board_rtt.rs` instead. (Shared by this crate's two binaries and
//! `examples/cortex-m0/`.)

use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::{debug, hio, hprintln};
use panic_semihosting as _; // a panic prints its message and exits QEMU with 1

use crate::clock::Clock;

/// The console: the host's standard output.
pub type Console = hio::HostStream;

/// The console and the clock (the host's), or `None` without a host.
pub fn start() -> Option<(Console, Clock)> {
    Some((hio::hstdout().ok()?, Clock::Host(clock_cs)))
}

/// Centiseconds since QEMU started (semihosting SYS_CLOCK: the host's clock).
fn clock_cs() -> u32 {
    // SAFETY: SYS_CLOCK takes no argument and only reads the host's clock.
    unsafe { cortex_m_semihosting::syscall!(CLOCK) as u32 }
}

/// Ends the QEMU run with exit status 0 (`ok`) or 1.
pub fn exit(ok: bool) -> ! {
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        // Only reached with a debugger that ignores the exit call.
        cortex_m::asm::wfi();
    }
}

// Without this a fault spins forever and QEMU never exits.
#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    hprintln!("HardFault: {:?}", ef);
    exit(false)
}
