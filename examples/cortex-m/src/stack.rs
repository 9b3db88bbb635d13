//! Peak stack measurement by painting: fill the free stack with a pattern, run,
//! then find the lowest word that no longer holds the pattern.
//! (Shared by the demos of this crate and of `examples/riscv/`.)

const PAINT: u32 = 0xCCCC_CCCC;
/// How deep below the current frame to paint (the boards have megabytes).
const DEPTH: usize = 16 * 1024;

unsafe extern "C" {
    /// The initial stack pointer, defined by cortex-m-rt's and riscv-rt's link.x.
    static _stack_start: u32;
}

/// Paints `DEPTH` bytes below this function's own frame; returns the painted top.
#[inline(never)]
pub fn paint() -> usize {
    let marker = 0u32;
    let here = core::hint::black_box(&marker) as *const u32 as usize;
    let top = (here - 256) & !3; // stay clear of this function's own frame
    let mut p = top - DEPTH;
    while p < top {
        // SAFETY: [top - DEPTH, top) is unused stack below every live frame:
        // the boards' RAM extends megabytes below the stack pointer, and
        // nothing else lives there (statics sit at the bottom of RAM).
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
    top
}

/// The peak stack use since `paint` returned `top`, counted from the very top
/// of the stack (so start-up code and `main` are included).
#[inline(never)]
pub fn peak(top: usize) -> usize {
    let mut p = top - DEPTH;
    // SAFETY: the same region `paint` wrote; reading it is always valid.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    let stack_start = &raw const _stack_start as usize;
    stack_start - p
}
