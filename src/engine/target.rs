//! Every `cfg` of the crate, in one place: what the target machine has, and
//! what the engine does about it. Nothing outside this file asks.
//!
//! | item | depends on | effect |
//! |---|---|---|
//! | [`FUSED_MULTIPLY_ADD`] | `std` feature and FMA | products, Adagrad, Newton steps and polynomials round once per multiply-add |
//! | [`ADAGRAD_DIVIDES`] | `std` feature and no FMA | Adagrad divides by a hardware square root instead of Newton's 1/√x |
//! | [`Row`], [`ROW_ALIGN`] | x86's vector width | rows of the engine's copies start on vector boundaries |
//! | `TILES`, `TILE_BYTES` | AVX, AVX-512 | column tiles whose sums stay in registers |
//!
//! The `std` feature links `std` for two functions `core` lacks on stable
//! Rust: a fused multiply-add and a square root the compiler can vectorise
//! (`extern crate std` is in `lib.rs`, the only place it can be).

use core::borrow::{Borrow, BorrowMut};

/// Whether [`FastFloat::mul_add`](super::FastFloat::mul_add) fuses a multiply
/// and an add into one instruction (one rounding instead of two), in the
/// matrix products, Adagrad's update and the Newton steps and polynomials of
/// [`approx`](super::approx): only where the target has FMA (`-C
/// target-cpu=native` on most PCs) and the `std` feature is on, because
/// `core` has no stable fused multiply-add yet and `libm`'s `fma` is a call
/// the compiler cannot vectorise. Results then differ from a build without
/// FMA in the last bits, and are a little more accurate.
pub const FUSED_MULTIPLY_ADD: bool = cfg!(all(feature = "std", target_feature = "fma"));

/// Whether Adagrad's step divides by a hardware square root (`true`) or
/// multiplies by Newton's [`approx::rsqrt`](super::approx::rsqrt) (`false`);
/// see [`descend`](super::update::descend).
///
/// `core` has no square root (`libm`'s is a call that stops a loop from
/// being vectorised), so without the `std` feature it is always Newton's.
/// With `std`, `f32::sqrt` is one vector instruction, and the square root
/// and the division are two; but both run on one divider, which does not
/// get wider with the vectors. With SSE2's four lanes they beat Newton's
/// twelve multiplies and adds (the whole training loop 6% faster, f32 and
/// f64); with FMA, which comes with AVX2's eight lanes and AVX-512's sixteen,
/// Newton's fused steps win (the division was 2% slower in f32, 10% in f64).
/// Both are within 2 ulp of the exact step; the division is the textbook
/// form itself.
pub const ADAGRAD_DIVIDES: bool = cfg!(all(feature = "std", not(target_feature = "fma")));

/// Whether the products keep column tiles of sums in registers (with AVX or
/// AVX-512; see [`TILE_BYTES`]).
pub(crate) const TILES: bool = cfg!(any(target_feature = "avx", target_feature = "avx512f"));

/// How many bytes of sums a column tile of the products keeps in registers:
/// half the vector registers with AVX-512 (16 of 32 of 64 bytes) or AVX (8
/// of 16 of 32). Without AVX there are no tiles: with fewer registers (SSE2's
/// 16 of 16 bytes, a microcontroller's 32 floats) the sums of a whole row do
/// not fit beside the weights, and tiles narrow enough to fit were slower
/// (measured with SSE2), so the sums stay in place, in one pass over all
/// columns.
pub(crate) const TILE_BYTES: usize = if cfg!(target_feature = "avx512f") {
    1024
} else {
    256
};

/// A row of `C` elements aligned for the widest vector loads of the target,
/// and padded to a multiple of that alignment ([`ROW_ALIGN`] bytes: 64 with
/// AVX-512, 32 with AVX, 16 on other x86; elsewhere just `F`'s, no padding).
///
/// A vector load that straddles two cache lines costs two. A row of 100
/// `f32` is 400 bytes, so in a plain `[[f32; 100]; R]` three rows in four
/// start off a 64-byte boundary and most of their 64-byte AVX-512 loads
/// straddle lines. The engine keeps its copies of `Whhᵀ` and `Whyᵀ` and the
/// hidden states `hs` in rows like these; [`Borrow`] lets the products take
/// either kind of row.
///
/// ```
/// use min_char_rnn::engine::{ROW_ALIGN, Row};
/// let rows = [Row([1.0f32; 100]); 2];
/// assert_eq!(core::mem::size_of_val(&rows[0]) % ROW_ALIGN, 0);
/// assert_eq!(rows[1].0[99], 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(target_feature = "avx512f", repr(C, align(64)))]
#[cfg_attr(
    all(target_feature = "avx", not(target_feature = "avx512f")),
    repr(C, align(32))
)]
#[cfg_attr(
    all(
        any(target_arch = "x86", target_arch = "x86_64"),
        not(target_feature = "avx")
    ),
    repr(C, align(16))
)]
#[cfg_attr(not(any(target_arch = "x86", target_arch = "x86_64")), repr(C))]
pub struct Row<F, const C: usize>(pub [F; C]);

/// The alignment of a [`Row`] of bytes, the multiple every row is padded to
/// (a row of `f32` or `f64` is aligned to at least its element).
pub const ROW_ALIGN: usize = core::mem::align_of::<Row<u8, 1>>();

impl<F, const C: usize> Borrow<[F; C]> for Row<F, C> {
    fn borrow(&self) -> &[F; C] {
        &self.0
    }
}

impl<F, const C: usize> BorrowMut<[F; C]> for Row<F, C> {
    fn borrow_mut(&mut self) -> &mut [F; C] {
        &mut self.0
    }
}

/// The two hardware operations `core` lacks, for one float type: a fused
/// multiply-add where [`FUSED_MULTIPLY_ADD`], a plain multiply and add
/// otherwise; `std`'s square root (one vectorisable instruction) with the
/// `std` feature, `libm`'s otherwise (the same correctly rounded result).
macro_rules! hardware {
    ($t:ty, $mul_add:ident, $sqrt:ident, $libm_sqrt:path) => {
        #[inline(always)]
        pub(crate) fn $mul_add(a: $t, b: $t, c: $t) -> $t {
            #[cfg(all(feature = "std", target_feature = "fma"))]
            {
                <$t>::mul_add(a, b, c)
            }
            #[cfg(not(all(feature = "std", target_feature = "fma")))]
            {
                a * b + c
            }
        }
        #[inline(always)]
        pub(crate) fn $sqrt(x: $t) -> $t {
            #[cfg(feature = "std")]
            {
                <$t>::sqrt(x)
            }
            #[cfg(not(feature = "std"))]
            {
                $libm_sqrt(x)
            }
        }
    };
}

hardware!(f32, mul_add_f32, sqrt_f32, libm::sqrtf);
hardware!(f64, mul_add_f64, sqrt_f64, libm::sqrt);
