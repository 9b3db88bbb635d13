//! Peak stack measurement by painting: fill the stack a budget allows with a
//! pattern, run, then find the lowest word that no longer holds the pattern.
//! (Shared by the demos of this crate, `examples/riscv/` and
//! `examples/cortex-m0/`.)
//!
//! The stack grows down from the top of RAM towards the statics (the models
//! in `.bss`), with no guard between them. Painting never goes below the end
//! of the statics: where RAM is smaller than the budget needs, it refuses to
//! go further and says so.

use core::fmt;

const PAINT: u32 = 0xCCCC_CCCC;

unsafe extern "C" {
    /// The initial stack pointer, the top of the stack: defined by
    /// cortex-m-rt's and riscv-rt's link.x.
    static _stack_start: u32;
    /// The end of the statics (`.data`, `.bss`, `.uninit`, in that order in
    /// RAM): the lowest address the stack may reach. Both runtimes' link.x
    /// define it (riscv-rt places a heap after it, empty unless `_heap_size`
    /// is set, which these demos do not).
    static __euninit: u32;
}

/// The top of the stack (the initial stack pointer).
pub fn stack_start() -> usize {
    &raw const _stack_start as usize
}

/// The end of the statics, where free RAM begins.
pub fn statics_end() -> usize {
    &raw const __euninit as usize
}

/// A painted stretch of the stack, `[bottom, top)`.
pub struct Painted {
    bottom: usize,
    top: usize,
    budget: usize,
    /// Bytes of RAM between the end of the statics and the top of the stack,
    /// when fewer than the budget: painting stopped at the statics.
    short: Option<usize>,
}

impl Painted {
    /// The refusal to paint the whole budget, if this part's RAM is too small
    /// for it: print it.
    pub fn refusal(&self) -> Option<impl fmt::Display> {
        self.short.map(|free| Refusal {
            budget: self.budget,
            free,
        })
    }
}

struct Refusal {
    budget: usize,
    free: usize,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stack painting stops at the statics: the budget allows {} B of stack, but this \
             part has {} B of RAM between the end of the statics and the top of the stack, \
             and painting further would overwrite the statics (the models)",
            self.budget, self.free
        )
    }
}

/// The stack reached the bottom of the painted stretch: it may have gone
/// further, so its peak is unknown.
pub struct Overrun {
    budget: usize,
    reached_statics: bool,
}

impl fmt::Display for Overrun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reached_statics {
            f.write_str("the stack reached the end of the statics and may have overwritten them")
        } else {
            write!(
                f,
                "the stack used all the {} B the budget allows, or more",
                self.budget
            )
        }
    }
}

/// Paints the stack that `budget` bytes of stack allow, counted from the top
/// of the stack, up to just below this function's own frame; never below the
/// end of the statics.
#[inline(never)]
pub fn paint(budget: usize) -> Painted {
    let marker = 0u32;
    let here = core::hint::black_box(&marker) as *const u32 as usize;
    let top = (here - 256) & !3; // stay clear of this function's own frame
    let (start, end) = (stack_start(), statics_end());
    let free = start.saturating_sub(end);
    let short = (budget > free).then_some(free);
    let bottom = ((start - budget.min(free) + 3) & !3).min(top);
    let mut p = bottom;
    while p < top {
        // SAFETY: [bottom, top) lies below every live frame (`top` is under
        // this function's own) and at or above the end of the statics
        // (`bottom >= start - free = end`), so it is free stack that nothing
        // else uses.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
    Painted {
        bottom,
        top,
        budget,
        short,
    }
}

/// The peak stack use since [`paint`], counted from the very top of the stack
/// (so start-up code and `main` are included), or an [`Overrun`] if the stack
/// reached the bottom of the painted stretch.
#[inline(never)]
pub fn peak(painted: &Painted) -> Result<usize, Overrun> {
    let Painted { bottom, top, .. } = *painted;
    let mut p = bottom;
    // SAFETY: the same region `paint` wrote; reading it is always valid.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    if p == bottom {
        // The lowest painted word is gone (or nothing was painted).
        return Err(Overrun {
            budget: painted.budget,
            reached_statics: painted.short.is_some(),
        });
    }
    Ok(stack_start() - p)
}
