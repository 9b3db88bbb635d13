//! What the demos time with: under QEMU the host's clock through semihosting,
//! on a real board the core's cycle counter. (Shared by the demos of this
//! crate, `examples/riscv/` and `examples/cortex-m0/`.)

use core::fmt;

/// A clock and the unit of its readings, which wrap at 2^32.
#[derive(Clone, Copy)]
#[allow(dead_code)] // each board module makes one of the two
pub enum Clock {
    /// Centiseconds of the host's clock (semihosting's SYS_CLOCK): under
    /// QEMU, the emulator's speed, not a core's.
    Host(fn() -> u32),
    /// Clock cycles of the core (the DWT cycle counter of a Cortex-M3, M4 or
    /// M7): they wrap every 2^32 cycles, 27 s at 160 MHz.
    Cycles(fn() -> u32),
}

impl Clock {
    fn now(self) -> u32 {
        match self {
            Clock::Host(now) | Clock::Cycles(now) => now(),
        }
    }
}

/// Time since a start, in the clock's unit, immune to the readings' wrapping
/// as long as [`Stopwatch::lap`] runs at least once per wrap.
pub struct Stopwatch {
    clock: Clock,
    last: u32,
    ticks: u64,
}

impl Stopwatch {
    /// Starts measuring.
    pub fn start(clock: Clock) -> Self {
        Stopwatch {
            clock,
            last: clock.now(),
            ticks: 0,
        }
    }

    /// Adds the time since the last lap (or the start).
    pub fn lap(&mut self) {
        let now = self.clock.now();
        self.ticks += u64::from(now.wrapping_sub(self.last));
        self.last = now;
    }

    /// Stops: the time `n` events (named `what`, plural) took, to print.
    pub fn rate(mut self, n: u32, what: &'static str) -> Rate {
        self.lap();
        Rate {
            clock: self.clock,
            ticks: self.ticks,
            n: u64::from(n.max(1)),
            what,
        }
    }
}

/// "3000 steps in 0.33 s of QEMU (host clock): 9090 steps/s", or on a real
/// core "3000 steps in 76350000 cycles: 25450 cycles each".
pub struct Rate {
    clock: Clock,
    ticks: u64,
    n: u64,
    what: &'static str,
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Rate { n, what, .. } = *self;
        match self.clock {
            Clock::Host(_) => {
                let cs = self.ticks.max(1);
                let (s, rate) = (cs / 100, n * 100 / cs);
                let c = cs % 100;
                write!(
                    f,
                    "{n} {what} in {s}.{c:02} s of QEMU (host clock): {rate} {what}/s"
                )
            }
            Clock::Cycles(_) if self.ticks == 0 => {
                write!(
                    f,
                    "{n} {what}, not timed: the cycle counter did not run (QEMU has none)"
                )
            }
            Clock::Cycles(_) => {
                let (cycles, each) = (self.ticks, self.ticks / n);
                write!(f, "{n} {what} in {cycles} cycles: {each} cycles each")
            }
        }
    }
}
