//! Vectorisable exp, tanh and 1/√x: the transcendental functions of the hot
//! loops, written in plain arithmetic so the compiler can run 8 or 16 of them
//! at once.
//!
//! `libm`'s functions are exact to an ulp but are calls with branches inside,
//! which stop a loop from being vectorised; in training they cost more than all
//! the matrix products (the C peer's profile: 44% of its time without
//! fast-math). The versions here have no branches and no calls (only
//! multiplies, adds, a division and bit manipulation), and their error bounds
//! are measured against `libm` over their whole input range by the tests below
//! (worst case seen, and the bound the test enforces):
//!
//! | function | f32 seen | f64 seen | bound |
//! |---|---|---|---|
//! | [`exp_nonpositive`], x ∈ [min, 0] | 1.0 ulp | 1.0 ulp | 2 ulp |
//! | [`expm1_nonpositive`], x ∈ [min, 0] | 1.0 ulp | 1.0 ulp | 2 ulp |
//! | [`tanh`], any x | 2.0 ulp | 2.0 ulp | 3 ulp |
//! | [`rsqrt`], x > 0 normal | 1.7 ulp | 1.9 ulp | 2 ulp |
//!
//! (an ulp, "unit in the last place", is the spacing of floats near the result:
//! 2⁻²³ ≈ 1.2e−7 relative for f32, 2⁻⁵² ≈ 2.2e−16 for f64.) For comparison, the
//! model's gradients are trusted to 1e−6 and f32 training itself rounds at every
//! step.

use super::float::FastFloat as Float;

// ANCHOR: expm1
/// e^x − 1 for x ≤ 0, accurate even where the result is tiny (x near 0).
///
/// Range reduction: x = n·ln2 + r with n an integer and |r| ≤ ln2/2, so
/// e^x = 2ⁿ·e^r. Then e^r − 1 = r + r²/2! + r³/3! + … converges fast on so small
/// an interval, and 2ⁿ is built from bits. Arguments below `F::EXP_ARG_MIN`
/// (−87 for f32, −708 for f64, where e^x is already below 1e−37 or 1e−307) are
/// raised to it.
#[inline(always)]
pub fn expm1_nonpositive<F: Float>(x: F) -> F {
    let (s, q) = reduce(x);
    s * q + (s - F::ONE) // 2ⁿ(e^r − 1) + (2ⁿ − 1): exact cancellation-free when n = 0
}

/// e^x for x ≤ 0 (see [`expm1_nonpositive`]); softmax only ever needs x ≤ 0.
/// Below `F::EXP_ARG_MIN` the result is 0 (libm would return a subnormal
/// number below 1.2e−38 or 2.3e−308 there).
#[inline(always)]
pub fn exp_nonpositive<F: Float>(x: F) -> F {
    let (s, q) = reduce(x);
    let e = s * (F::ONE + q);
    if x < F::EXP_ARG_MIN { F::ZERO } else { e }
}

/// Splits e^x = 2ⁿ·(1 + q): returns (2ⁿ, q = e^r − 1).
#[inline(always)]
fn reduce<F: Float>(x: F) -> (F, F) {
    let x = x.max(F::EXP_ARG_MIN);
    let (n, pow2_n) = (x * F::LOG2_E).round_pow2();
    let r = (x - n * F::LN2_HI) - n * F::LN2_LO; // exact first product: Cody and Waite
    let (&last, rest) = F::EXPM1_TAYLOR.split_last().expect("coefficients");
    let mut p = last;
    for &c in rest.iter().rev() {
        p = p.mul_add(r, c); // Horner: 1/2! + r(1/3! + r(1/4! + …))
    }
    (pow2_n, (r * r).mul_add(p, r)) // r + r²p
}
// ANCHOR_END: expm1

// ANCHOR: tanh_fast
/// tanh x = (1 − e^(−2|x|)) / (1 + e^(−2|x|)) · sign x, written with
/// u = e^(−2|x|) − 1 ∈ (−1, 0] as −u / (2 + u): both u and 2 + u are exact to an
/// ulp or two, so the quotient is too, from tanh 1e−30 = 1e−30 up to tanh 20 = 1.
#[inline(always)]
pub fn tanh<F: Float>(x: F) -> F {
    let a = if x < F::ZERO { -x } else { x };
    let two = F::ONE + F::ONE;
    let u = expm1_nonpositive(-(a + a));
    let t = -u / (two + u);
    if x < F::ZERO { -t } else { t }
}
// ANCHOR_END: tanh_fast

// ANCHOR: rsqrt
/// 1/√x for a positive normal x: a guess from the bits, refined by Newton's
/// method on f(y) = 1/y² − x, y ← y·(3/2 − x·y²/2), which squares the relative
/// error each step (3.5% → 0.2% → 5e−6 → 3e−11 → …) using only multiplications.
///
/// Outside that domain the result is meaningless (Adagrad only takes roots
/// of m + ε > 0), but any input gives a value, never a panic (tested).
#[inline(always)]
pub fn rsqrt<F: Float>(x: F) -> F {
    let half = F::from_f64(0.5);
    let three_halves = F::from_f64(1.5);
    let half_x = half * x;
    let mut y = x.rsqrt_guess();
    for _ in 0..F::RSQRT_STEPS {
        y = y * (-(half_x * y)).mul_add(y, three_halves); // y (3/2 − x y²/2)
    }
    y
}
// ANCHOR_END: rsqrt

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::println;

    /// |a − b| in units of the spacing of floats at b.
    fn ulps_f32(a: f32, b: f32) -> f64 {
        let spacing = if b == 0.0 {
            f32::MIN_POSITIVE as f64
        } else {
            (b.abs() as f64) * f32::EPSILON as f64
        };
        ((a as f64) - (b as f64)).abs() / spacing.max(f32::MIN_POSITIVE as f64)
    }

    fn ulps_f64(a: f64, b: f64) -> f64 {
        let spacing = if b == 0.0 {
            f64::MIN_POSITIVE
        } else {
            b.abs() * f64::EPSILON
        };
        (a - b).abs() / spacing.max(f64::MIN_POSITIVE)
    }

    /// Evenly spaced points over [lo, hi] plus, near zero, a geometric sweep.
    fn points(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        let even = (0..=n).map(move |i| lo + (hi - lo) * i as f64 / n as f64);
        let tiny = (0..600).map(|k| 10f64.powf(-(k as f64) / 20.0));
        even.chain(tiny.clone().map(|t| -t))
            .chain(tiny)
            .filter(move |x| (lo..=hi).contains(x))
    }

    fn worst(pairs: impl Iterator<Item = (f64, f64)>) -> (f64, f64) {
        pairs.fold(
            (0.0, 0.0),
            |(w, at), (e, x)| if e > w { (e, x) } else { (w, at) },
        )
    }

    #[test]
    fn exp_and_expm1_f32_within_2_ulp() {
        let (e, at) = worst(points(-87.0, 0.0, 400_000).map(|x| {
            let x = x as f32;
            (ulps_f32(exp_nonpositive(x), libm::expf(x)), x as f64)
        }));
        println!("exp f32: worst {e:.2} ulp at {at}");
        assert!(e <= 2.0, "exp f32: {e} ulp at {at}");
        let (e, at) = worst(points(-87.0, 0.0, 400_000).map(|x| {
            let x = x as f32;
            (ulps_f32(expm1_nonpositive(x), libm::expm1f(x)), x as f64)
        }));
        println!("expm1 f32: worst {e:.2} ulp at {at}");
        assert!(e <= 2.0, "expm1 f32: {e} ulp at {at}");
    }

    #[test]
    fn exp_and_expm1_f64_within_2_ulp() {
        let (e, at) = worst(
            points(-708.0, 0.0, 400_000).map(|x| (ulps_f64(exp_nonpositive(x), libm::exp(x)), x)),
        );
        println!("exp f64: worst {e:.2} ulp at {at}");
        assert!(e <= 2.0, "exp f64: {e} ulp at {at}");
        let (e, at) = worst(
            points(-708.0, 0.0, 400_000)
                .map(|x| (ulps_f64(expm1_nonpositive(x), libm::expm1(x)), x)),
        );
        println!("expm1 f64: worst {e:.2} ulp at {at}");
        assert!(e <= 2.0, "expm1 f64: {e} ulp at {at}");
    }

    #[test]
    fn tanh_within_3_ulp_everywhere() {
        let (e, at) = worst(points(-20.0, 20.0, 400_000).map(|x| {
            let x = x as f32;
            (ulps_f32(tanh(x), libm::tanhf(x)), x as f64)
        }));
        println!("tanh f32: worst {e:.2} ulp at {at}");
        assert!(e <= 3.0, "tanh f32: {e} ulp at {at}");
        let (e, at) =
            worst(points(-40.0, 40.0, 400_000).map(|x| (ulps_f64(tanh(x), libm::tanh(x)), x)));
        println!("tanh f64: worst {e:.2} ulp at {at}");
        assert!(e <= 3.0, "tanh f64: {e} ulp at {at}");
        for x in [
            f32::MAX,
            -f32::MAX,
            f32::INFINITY,
            -f32::INFINITY,
            0.0,
            -0.0,
        ] {
            assert_eq!(tanh(x), libm::tanhf(x), "at {x}");
        }
        assert!(tanh(f32::NAN).is_nan());
    }

    #[test]
    fn rsqrt_within_2_ulp() {
        let (e, at) = worst((0..200_000).map(|i| {
            let x = 1e-9f64 * 1.0002f64.powi(i);
            let x32 = x as f32;
            (ulps_f32(rsqrt(x32), 1.0 / libm::sqrtf(x32)), x)
        }));
        println!("rsqrt f32: worst {e:.2} ulp at {at}");
        assert!(e <= 2.0, "rsqrt f32: {e} ulp at {at}");
        let (e, at) = worst((0..200_000).map(|i| {
            let x = 1e-9f64 * 1.0002f64.powi(i);
            (ulps_f64(rsqrt(x), 1.0 / libm::sqrt(x)), x)
        }));
        println!("rsqrt f64: worst {e:.2} ulp at {at}");
        assert!(e <= 2.0, "rsqrt f64: {e} ulp at {at}");
    }

    #[test]
    fn rsqrt_outside_its_domain_gives_a_value() {
        // Wrapping, not overflowing, bit arithmetic: a debug build would
        // panic on the sign bit of a negative x.
        for x in [
            -1.0f32,
            -0.0,
            0.0,
            f32::MIN,
            -f32::MIN_POSITIVE,
            f32::INFINITY,
            f32::NAN,
        ] {
            let _ = rsqrt(x);
            let _ = rsqrt(f64::from(x));
        }
    }
}
