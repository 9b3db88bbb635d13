//! A small seeded random number generator: SplitMix64, plus normal deviates.
//!
//! The model needs randomness twice: Gaussian initial weights and sampling
//! characters. Owning the generator (rather than borrowing an OS source) is what
//! makes a run reproducible to the bit: the same seed gives the same weights,
//! the same training and the same samples on every machine.

/// SplitMix64 (Steele, Lea and Flood, 2014): a 64-bit state advanced by a fixed
/// odd constant, then scrambled. Passes BigCrush; one `u64` of state, so it is
/// trivially saved in a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    /// The whole state. Public so a checkpoint can save and restore it.
    pub state: u64,
}

impl Rng {
    /// A generator whose whole future is fixed by `seed`.
    ///
    /// ```
    /// use min_char_rnn::Rng;
    /// let (mut a, mut b) = (Rng::new(7), Rng::new(7));
    /// assert_eq!(a.next_u64(), b.next_u64());
    /// ```
    pub const fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    // ANCHOR: splitmix
    /// The next 64 uniformly distributed bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    // ANCHOR_END: splitmix

    /// A uniform deviate in [0, 1): the top 53 bits, so every value is an exact
    /// multiple of 2⁻⁵³.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    // ANCHOR: normal
    /// A standard normal deviate N(0, 1), by the Box–Muller transform.
    ///
    /// `u1` is taken from (0, 1] so that `ln(u1)` is finite.
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(core::f64::consts::TAU * u2)
    }
    // ANCHOR_END: normal
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn splitmix64_reference_values() {
        // First outputs of SplitMix64 seeded with 1234567 (from the reference C code).
        let mut r = Rng::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn uniform_is_in_unit_interval_and_normal_has_unit_variance() {
        let mut r = Rng::new(42);
        let n = 20_000;
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for _ in 0..n {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            let z = r.normal();
            sum += z;
            sum_sq += z * z;
        }
        let mean = sum / n as f64;
        let var = sum_sq / n as f64 - mean * mean;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }
}
