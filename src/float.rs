//! The one trait that lets every equation be written once for `f32` and `f64`.
//!
//! `core` has no `exp`, `ln`, `sqrt` or `tanh` (they live in `std`, which needs an
//! operating system), so the transcendental functions come from `libm`, a pure-Rust
//! port of musl's maths library that builds for any target.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

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
    /// Square root, correctly rounded.
    fn sqrt(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// `true` unless NaN or ±∞.
    fn is_finite(self) -> bool;
    /// Writes the little-endian bytes into `out[..Self::BYTES]`.
    fn write_le(self, out: &mut [u8]);
    /// Reads a value from the little-endian bytes `bytes[..Self::BYTES]`.
    fn read_le(bytes: &[u8]) -> Self;

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
    ($t:ty, $bytes:expr, $exp:path, $ln:path, $sqrt:path, $tanh:path) => {
        impl Float for $t {
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
                $sqrt(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
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

impl_float!(f32, 4, libm::expf, libm::logf, libm::sqrtf, libm::tanhf);
impl_float!(f64, 8, libm::exp, libm::log, libm::sqrt, libm::tanh);

#[cfg(test)]
mod tests {
    use super::Float;

    #[test]
    fn functions_match_known_values() {
        assert_eq!(Float::exp(0.0f64), 1.0);
        assert!((Float::ln(core::f64::consts::E) - 1.0f64).abs() < 1e-15);
        assert_eq!(Float::sqrt(9.0f32), 3.0);
        assert!((Float::tanh(0.5f64) - 0.46211715726000974).abs() < 1e-16);
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
