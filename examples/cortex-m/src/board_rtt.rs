//! What the demos need from a real board (feature `rtt`, which each board's
//! feature turns on): a console, a clock, an exit status, and fault and panic
//! handlers, none of which stops a core that has no debugger attached.
//!
//! - The console is RTT: a ring buffer in RAM that a probe (probe-rs) reads
//!   while the core runs. Without a probe, writes that do not fit are
//!   dropped: nothing blocks.
//! - The clock is the core's cycle counter (DWT, a Cortex-M3 and up).
//! - The exit status is printed; with a debugger attached it is also passed
//!   to it by semihosting's exit call, which ends `probe-rs run` with that
//!   status. Without one the core idles: a semihosting call would stop it.

use core::fmt;

use cortex_m::peripheral::{DCB, DWT};
use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::debug;
use rtt_target::{ChannelMode, rprintln};

use crate::clock::Clock;

/// The console: RTT's channel 0 ("Terminal", what `probe-rs run` shows).
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        rtt_target::rprint!("{}", s);
        Ok(())
    }
}

/// Sets up RTT (a 2 KiB buffer: the demo's whole output, 1.6 KB, fits even
/// if the probe reads late) and the cycle counter; returns the console and
/// the clock.
pub fn start() -> Option<(Console, Clock)> {
    rtt_target::rtt_init_print!(ChannelMode::NoBlockSkip, 2048);
    let mut core = cortex_m::Peripherals::take()?;
    core.DCB.enable_trace();
    core.DWT.enable_cycle_counter();
    Some((Console, Clock::Cycles(DWT::cycle_count)))
}

/// Prints the exit status; with a debugger attached, hands it over and ends
/// the session; otherwise idles. ("Attached" is DHCSR's C_DEBUGEN bit, which
/// stays set after a debugger leaves until a power-on reset: then the core
/// halts at the exit call, at the end, where it would idle anyway.)
pub fn exit(ok: bool) -> ! {
    rprintln!("[exit] status {}", if ok { 0 } else { 1 });
    if DCB::is_debugger_attached() {
        // Give the probe time to read the last lines (it polls the buffer),
        // then exit: probe-rs ends `run` with this status.
        let start = DWT::cycle_count();
        while DWT::cycle_count().wrapping_sub(start) < 1 << 24 {}
        debug::exit(if ok {
            debug::EXIT_SUCCESS
        } else {
            debug::EXIT_FAILURE
        });
    }
    loop {
        cortex_m::asm::wfi();
    }
}

#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    rprintln!("HardFault: {:?}", ef);
    exit(false)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    rprintln!("{}", info);
    exit(false)
}
