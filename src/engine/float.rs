//! What the engine needs of a float beyond [`Float`]: a multiply-add that
//! fuses where the target can, a square root the compiler can vectorise, and
//! the constants and bit tricks of the approximations in [`approx`](super::approx).

use super::target::{mul_add_f32, mul_add_f64, sqrt_f32, sqrt_f64};
use crate::float::Float;

/// A [`Float`] the engine can run on: `f32` or `f64`.
pub trait FastFloat: Float {
    /// `self · a + b`, fused into one instruction and one rounding where
    /// [`FUSED_MULTIPLY_ADD`](super::FUSED_MULTIPLY_ADD) is true, otherwise a
    /// multiply then an add.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// Square root, correctly rounded (the same result as [`Float::sqrt`]):
    /// one instruction the compiler can vectorise where the `std` feature is
    /// on, `libm`'s call otherwise.
    fn sqrt_vectorisable(self) -> Self;

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
    /// The smallest argument of `approx::exp_nonpositive` and
    /// `expm1_nonpositive` worth computing: e^x is then just above the
    /// smallest normal number. Below it, the reduction works with this
    /// argument instead, and `exp_nonpositive` returns 0.
    const EXP_ARG_MIN: Self;
    /// Newton steps that [`FastFloat::rsqrt_guess`] needs to reach full precision.
    const RSQRT_STEPS: usize;
    /// `(n, 2ⁿ)` with n = `self` rounded to the nearest integer, for results 2ⁿ
    /// that are normal numbers. Adding 1.5·2^(mantissa bits) makes the hardware
    /// round, and leaves n in the low bits of the sum, from where it goes
    /// straight into the exponent field of 2ⁿ: integer arithmetic only, no
    /// float-to-integer conversion (which would not vectorise).
    fn round_pow2(self) -> (Self, Self);
    /// A first guess at 1/√x for positive normal x, within 3.5%, from the bits:
    /// halving the exponent of x approximately halves its logarithm. For
    /// other x (negative, zero, subnormal, infinite, NaN) the guess means
    /// nothing, but it is a value, never a panic.
    fn rsqrt_guess(self) -> Self;
}

macro_rules! impl_fast_float {
    (
        $t:ty, $mul_add:path, $sqrt:path,
        bits: $bits:ty, mantissa: $mant:expr, bias: $bias:expr, rsqrt_magic: $magic:expr,
        rsqrt_steps: $steps:expr, ln2_hi: $ln2_hi:expr, ln2_lo: $ln2_lo:expr,
        exp_arg_min: $exp_min:expr, taylor: [$($c:expr),*]
    ) => {
        impl FastFloat for $t {
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $mul_add(self, a, b)
            }
            #[inline(always)]
            fn sqrt_vectorisable(self) -> Self {
                $sqrt(self)
            }

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
                <$t>::from_bits($magic.wrapping_sub(self.to_bits() >> 1))
            }
        }
    };
}

impl_fast_float!(
    f32, mul_add_f32, sqrt_f32,
    bits: u32, mantissa: 23, bias: 127, rsqrt_magic: 0x5F37_5A86u32, rsqrt_steps: 3,
    ln2_hi: f32::from_bits(0x3F31_7200), ln2_lo: 1.428_606_8e-6,
    exp_arg_min: -87.0,
    taylor: [0.5, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0]
);
impl_fast_float!(
    f64, mul_add_f64, sqrt_f64,
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
    use super::super::FUSED_MULTIPLY_ADD;
    use super::FastFloat;

    #[test]
    fn mul_add_is_fused_exactly_when_flagged() {
        // x² = 1 + 2⁻¹¹ + 2⁻²⁴ needs 25 bits: rounded to f32 the 2⁻²⁴ is lost,
        // fused it survives the subtraction.
        let x = 1.0f32 + 1.0 / 4096.0;
        let rest = FastFloat::mul_add(x, x, -(1.0 + 1.0 / 2048.0));
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
    fn the_vectorisable_square_root_is_the_correctly_rounded_one() {
        for x in [2.0f64, 1e-300, 3.7e12, 0.0] {
            assert_eq!(x.sqrt_vectorisable(), libm::sqrt(x));
            assert_eq!((x as f32).sqrt_vectorisable(), libm::sqrtf(x as f32));
        }
    }
}
