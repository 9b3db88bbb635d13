//! The one trait that lets every equation be written once for `f32` and `f64`.
//!
//! `core` has no `exp`, `ln`, `sqrt` or `tanh` (they live in `std`, which needs an
//! operating system), so the transcendental functions come from `libm`, a pure-Rust
//! port of musl's maths library that builds for any target.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// Whether [`Float::mul_add`] fuses a multiply and an add into one
/// instruction (one rounding instead of two), in the matrix products,
/// Adagrad's update and the Newton steps and polynomials of [`approx`](crate::approx):
/// only where the target has FMA
/// (`-C target-cpu=native` on most PCs) and the `std` feature is on, because
/// `core` has no stable fused multiply-add yet and `libm`'s `fma` is a call
/// the compiler cannot vectorise. Results then differ from a build without
/// FMA in the last bits, and are a little more accurate.
pub const FUSED_MULTIPLY_ADD: bool = cfg!(all(feature = "std", target_feature = "fma"));

/// A floating-point scalar the model can be built from: `f32` or `f64`.
///
/// Arithmetic comes from the operator traits; the four functions the model needs
/// beyond arithmetic (`exp`, `ln`, `sqrt`, `tanh`) come from `libm`.
pub trait Float:
    Copy
    + Default
    + PartialOrd
    + Debug
    + Display
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + 'static
{
    /// 0.0
    const ZERO: Self;
    /// 1.0
    const ONE: Self;
    /// Size in bytes (4 or 8); also the type's tag in a checkpoint.
    const BYTES: usize;
    /// `"f32"` or `"f64"`, for messages.
    const NAME: &'static str;

    /// The nearest value of this type to `x`.
    fn from_f64(x: f64) -> Self;
    /// The exact value as `f64`.
    fn to_f64(self) -> f64;
    /// e^self
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Square root, correctly rounded: `std`'s where the `std` feature is on
    /// (one instruction, which the compiler can vectorise), otherwise
    /// `libm`'s (a call). The result is the same either way.
    fn sqrt(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// `true` unless NaN or ±∞.
    fn is_finite(self) -> bool;
    /// `self · a + b`, fused into one instruction and one rounding where
    /// [`FUSED_MULTIPLY_ADD`] is true, otherwise a multiply then an add.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// Writes the little-endian bytes into `out[..Self::BYTES]`.
    fn write_le(self, out: &mut [u8]);
    /// Reads a value from the little-endian bytes `bytes[..Self::BYTES]`.
    fn read_le(bytes: &[u8]) -> Self;

    // The constants and bit-level helpers of the vectorisable functions in
    // `approx.rs`, which differ between f32 and f64 only in these.

    /// 1/2!, 1/3!, …: the Taylor coefficients of (e^r − 1 − r)/r², enough terms
    /// that truncation is below half an ulp for |r| ≤ ln2/2 (6 for f32, 12 for f64).
    const EXPM1_TAYLOR: &'static [Self];
    /// ln 2 rounded to few significant bits, so that n·LN2_HI is exact for |n| < 2¹⁰.
    const LN2_HI: Self;
    /// ln 2 − LN2_HI.
    const LN2_LO: Self;
    /// log₂ e.
    const LOG2_E: Self;
    /// The smallest argument of `approx::exp_nonpositive`: e^x is then just above
    /// the smallest normal number; smaller arguments are raised to it.
    const EXP_ARG_MIN: Self;
    /// Newton steps that [`Float::rsqrt_guess`] needs to reach full precision.
    const RSQRT_STEPS: usize;
    /// `(n, 2ⁿ)` with n = `self` rounded to the nearest integer, for results 2ⁿ
    /// that are normal numbers. Adding 1.5·2^(mantissa bits) makes the hardware
    /// round, and leaves n in the low bits of the sum, from where it goes
    /// straight into the exponent field of 2ⁿ: integer arithmetic only, no
    /// float-to-integer conversion (which would not vectorise).
    fn round_pow2(self) -> (Self, Self);
    /// A first guess at 1/√x for positive normal x, within 3.5%, from the bits:
    /// halving the exponent of x approximately halves its logarithm.
    fn rsqrt_guess(self) -> Self;

    /// The larger of two values (the first when they compare equal or unordered).
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if other > self { other } else { self }
    }
    /// The smaller of two values.
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        if other < self { other } else { self }
    }
}

macro_rules! impl_float {
    (
        $t:ty, $bytes:expr, $exp:path, $ln:path, $sqrt:path, $tanh:path,
        bits: $bits:ty, mantissa: $mant:expr, bias: $bias:expr, rsqrt_magic: $magic:expr,
        rsqrt_steps: $steps:expr, ln2_hi: $ln2_hi:expr, ln2_lo: $ln2_lo:expr,
        exp_arg_min: $exp_min:expr, taylor: [$($c:expr),*]
    ) => {
        impl Float for $t {
            const EXPM1_TAYLOR: &'static [Self] = &[$(($c) as $t),*];
            const LN2_HI: Self = $ln2_hi;
            const LN2_LO: Self = $ln2_lo;
            const LOG2_E: Self = core::f64::consts::LOG2_E as $t;
            const EXP_ARG_MIN: Self = $exp_min;
            const RSQRT_STEPS: usize = $steps;

            #[inline(always)]
            fn round_pow2(self) -> (Self, Self) {
                const MAGIC: $t = 1.5 * (1u64 << $mant) as $t;
                let t = self + MAGIC;
                let n_bits = t.to_bits().wrapping_sub(MAGIC.to_bits()); // n, two's complement
                let pow2 = <$t>::from_bits(n_bits.wrapping_add($bias) << $mant);
                (t - MAGIC, pow2)
            }
            #[inline(always)]
            fn rsqrt_guess(self) -> Self {
                <$t>::from_bits($magic - (self.to_bits() >> 1))
            }

            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const BYTES: usize = $bytes;
            const NAME: &'static str = stringify!($t);

            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                #[cfg(feature = "std")]
                {
                    <$t>::sqrt(self)
                }
                #[cfg(not(feature = "std"))]
                {
                    $sqrt(self)
                }
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                #[cfg(all(feature = "std", target_feature = "fma"))]
                {
                    <$t>::mul_add(self, a, b)
                }
                #[cfg(not(all(feature = "std", target_feature = "fma")))]
                {
                    self * a + b
                }
            }
            fn write_le(self, out: &mut [u8]) {
                out[..$bytes].copy_from_slice(&self.to_le_bytes());
            }
            fn read_le(bytes: &[u8]) -> Self {
                let mut b = [0u8; $bytes];
                b.copy_from_slice(&bytes[..$bytes]);
                <$t>::from_le_bytes(b)
            }
        }
    };
}

impl_float!(
    f32, 4, libm::expf, libm::logf, libm::sqrtf, libm::tanhf,
    bits: u32, mantissa: 23, bias: 127, rsqrt_magic: 0x5F37_5A86u32, rsqrt_steps: 3,
    ln2_hi: f32::from_bits(0x3F31_7200), ln2_lo: 1.428_606_8e-6,
    exp_arg_min: -87.0,
    taylor: [0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0]
);
impl_float!(
    f64, 8, libm::exp, libm::log, libm::sqrt, libm::tanh,
    bits: u64, mantissa: 52, bias: 1023, rsqrt_magic: 0x5FE6_EB50_C7B5_37A9u64, rsqrt_steps: 4,
    ln2_hi: f64::from_bits(0x3FE6_2E42_FEE0_0000), ln2_lo: 1.908_214_929_270_587_7e-10,
    exp_arg_min: -708.0,
    taylor: [
        0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0, 1.0 / 40320.0,
        1.0 / 362880.0, 1.0 / 3628800.0, 1.0 / 39916800.0, 1.0 / 479001600.0,
        1.0 / 6227020800.0
    ]
);

#[cfg(test)]
mod tests {
    use super::{FUSED_MULTIPLY_ADD, Float};

    #[test]
    fn functions_match_known_values() {
        assert_eq!(Float::exp(0.0f64), 1.0);
        assert!((Float::ln(core::f64::consts::E) - 1.0f64).abs() < 1e-15);
        assert_eq!(Float::sqrt(9.0f32), 3.0);
        assert!((Float::tanh(0.5f64) - 0.46211715726000974).abs() < 1e-16);
    }

    #[test]
    fn mul_add_is_fused_exactly_when_flagged() {
        // x² = 1 + 2⁻¹¹ + 2⁻²⁴ needs 25 bits: rounded to f32 the 2⁻²⁴ is lost,
        // fused it survives the subtraction.
        let x = 1.0f32 + 1.0 / 4096.0;
        let rest = Float::mul_add(x, x, -(1.0 + 1.0 / 2048.0));
        assert_eq!(
            rest,
            if FUSED_MULTIPLY_ADD {
                1.0 / 16_777_216.0
            } else {
                0.0
            }
        );
    }

    #[test]
    fn bytes_round_trip() {
        let mut buf = [0u8; 8];
        (-1.25e-7f64).write_le(&mut buf);
        assert_eq!(f64::read_le(&buf), -1.25e-7);
        3.5f32.write_le(&mut buf);
        assert_eq!(&buf[..4], &3.5f32.to_le_bytes());
    }
}
