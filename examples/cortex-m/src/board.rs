//! What both binaries of this crate need from the board under QEMU: the
//! host's clock, an exit status, and a fault handler that exits instead of
//! spinning forever.

use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::{debug, hprintln};

/// Centiseconds since QEMU started (semihosting SYS_CLOCK: the host's clock).
pub fn clock_cs() -> u32 {
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
        // Only reached on real hardware, where there is no host to exit to.
        cortex_m::asm::wfi();
    }
}

// Without this a fault spins forever and QEMU never exits.
#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    hprintln!("HardFault: {:?}", ef);
    exit(false)
}
