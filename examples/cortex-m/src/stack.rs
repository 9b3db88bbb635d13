//! Peak stack measurement by painting: fill the stack a budget allows with a
//! pattern, run, then find the lowest word that no longer holds the pattern.
//! (Shared by the demos of this crate, `examples/riscv/` and
//! `examples/cortex-m0/`.)
//!
//! The stack grows down from the top of RAM towards the statics (the models
//! in `.bss`), with no guard between them. Painting never goes below the end
//! of the statics: where RAM is too small for the budget, it refuses.

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
}

/// Why [`paint`] refused: RAM between the statics and the stack pointer is
/// smaller than the stack the budget allows.
pub struct Refused {
    wanted: usize,
    free: usize,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stack painting refused: the budget allows {} B of stack, but this part has only \
             {} B of RAM between the end of the statics and the top of the stack; painting \
             would overwrite the statics (the model). Use a part with more RAM.",
            self.wanted, self.free
        )
    }
}

/// Paints the stack that `budget` bytes of stack allow, counted from the top
/// of the stack, up to just below this function's own frame; refuses if that
/// reaches below the end of the statics.
#[inline(never)]
pub fn paint(budget: usize) -> Result<Painted, Refused> {
    let marker = 0u32;
    let here = core::hint::black_box(&marker) as *const u32 as usize;
    let top = (here - 256) & !3; // stay clear of this function's own frame
    let (start, end) = (stack_start(), statics_end());
    let free = start.saturating_sub(end);
    if budget > free {
        return Err(Refused {
            wanted: budget,
            free,
        });
    }
    let bottom = ((start - budget + 3) & !3).min(top);
    let mut p = bottom;
    while p < top {
        // SAFETY: [bottom, top) lies below every live frame (`top` is under
        // this function's own) and at or above the end of the statics
        // (`bottom >= start - budget >= end`, checked above), so it is free
        // stack that nothing else uses.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
    Ok(Painted { bottom, top })
}

/// The peak stack use since [`paint`], counted from the very top of the stack
/// (so start-up code and `main` are included); `None` if the stack reached
/// the bottom of the painted stretch: it used all of the budget, or more.
#[inline(never)]
pub fn peak(painted: &Painted) -> Option<usize> {
    let Painted { bottom, top } = *painted;
    let mut p = bottom;
    // SAFETY: the same region `paint` wrote; reading it is always valid.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    if p == bottom {
        return None; // the lowest painted word is gone (or nothing was painted)
    }
    Some(stack_start() - p)
}
