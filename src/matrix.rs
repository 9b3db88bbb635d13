//! Fixed-size vectors and matrices, and the products the model is made of.
//!
//! A `Matrix<F, R, C>` is a plain `[[F; C]; R]`: R rows of C columns, row-major,
//! its size known to the compiler. No heap, no strides, no shapes to check at
//! run time: a product of mismatched shapes does not compile. `W_ab` maps a
//! vector of size `b` to one of size `a`, so the book's `Wxh` (input to hidden)
//! is H×V and `Wxh x` is a column vector (the crate stores it transposed, as
//! `WxhT`: `Matrix<F, V, H>`, see [`Params`](crate::Params)).
//!
//! | function | computes | shapes |
//! |---|---|---|
//! | [`dot`] | `a · b` | a, b: N |
//! | [`axpy`] | `y += α x` | x, y: N |
//! | [`matvec_add`] | `out += W x` | W: R×C, x: C, out: R |
//! | [`matvec_transposed_add`] | `out += Wᵀ v` | W: R×C, v: R, out: C |
//! | [`add_outer`] | `A += u vᵀ` | A: R×C, u: R, v: C |
//!
//! These are the textbook forms: every sum runs left to right, one multiply
//! and one add at a time. Training runs faster versions of them, which are
//! tested equal to these (see the book's performance chapter).

use crate::float::Float;

// ANCHOR: types
/// A column vector of `N` elements.
pub type Vector<F, const N: usize> = [F; N];

/// A row-major matrix of `R` rows and `C` columns: `m[i][j]` is row i, column j.
pub type Matrix<F, const R: usize, const C: usize> = [[F; C]; R];
// ANCHOR_END: types

// ANCHOR: dot
/// The dot product `Σ_k a[k] b[k]`, summed left to right. Shapes: `a`, `b`: N.
///
/// ```
/// use min_char_rnn::matrix::dot;
/// assert_eq!(dot(&[1.0f32, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
pub fn dot<F: Float, const N: usize>(a: &Vector<F, N>, b: &Vector<F, N>) -> F {
    let mut sum = F::ZERO;
    for (&a_k, &b_k) in a.iter().zip(b) {
        sum += a_k * b_k;
    }
    sum
}
// ANCHOR_END: dot

// ANCHOR: axpy
/// `y += α x`, element by element (BLAS's "axpy"). Shapes: `x`, `y`: N.
///
/// ```
/// use min_char_rnn::matrix::axpy;
/// let mut y = [1.0f32, 1.0];
/// axpy(2.0, &[3.0, 4.0], &mut y);
/// assert_eq!(y, [7.0, 9.0]);
/// ```
pub fn axpy<F: Float, const N: usize>(alpha: F, x: &Vector<F, N>, y: &mut Vector<F, N>) {
    for (y_k, &x_k) in y.iter_mut().zip(x) {
        *y_k += alpha * x_k;
    }
}
// ANCHOR_END: axpy

// ANCHOR: matvec
/// `out += W x`: element i of `out` gains row i of `W` dotted with `x`.
///
/// Shapes: `W`: R×C, `x`: C, `out`: R.
///
/// ```
/// use min_char_rnn::matrix::matvec_add;
/// let w = [[1.0f32, 2.0], [3.0, 4.0]];
/// let mut out = [0.5f32, 0.5];
/// matvec_add(&w, &[1.0, 1.0], &mut out);
/// assert_eq!(out, [3.5, 7.5]);
/// ```
pub fn matvec_add<F: Float, const R: usize, const C: usize>(
    w: &Matrix<F, R, C>,
    x: &Vector<F, C>,
    out: &mut Vector<F, R>,
) {
    for (out_i, w_i) in out.iter_mut().zip(w) {
        *out_i += dot(w_i, x);
    }
}
// ANCHOR_END: matvec

// ANCHOR: matvec_transposed
/// `out += Wᵀ v`, without forming `Wᵀ`: the rows of `W` added up, row i
/// weighted by `v[i]`.
///
/// Column j of `W` is row j of `Wᵀ`, so `(Wᵀ v)[j] = Σ_i W[i][j] v[i]`: the
/// same numbers as a dot product down each column, gathered row by row.
/// Shapes: `W`: R×C, `v`: R, `out`: C.
///
/// ```
/// use min_char_rnn::matrix::matvec_transposed_add;
/// let w = [[1.0f64, 2.0], [3.0, 4.0]];
/// let mut out = [0.0f64; 2];
/// matvec_transposed_add(&w, &[1.0, 10.0], &mut out);
/// assert_eq!(out, [31.0, 42.0]);
/// ```
pub fn matvec_transposed_add<F: Float, const R: usize, const C: usize>(
    w: &Matrix<F, R, C>,
    v: &Vector<F, R>,
    out: &mut Vector<F, C>,
) {
    for (w_i, &v_i) in w.iter().zip(v) {
        axpy(v_i, w_i, out);
    }
}
// ANCHOR_END: matvec_transposed

// ANCHOR: add_outer
/// `A += u vᵀ`: the outer product, accumulated. Row i of `A` gains `u[i] · v`.
///
/// Shapes: `A`: R×C, `u`: R, `v`: C.
///
/// ```
/// use min_char_rnn::matrix::add_outer;
/// let mut a = [[0.0f32; 3]; 2];
/// add_outer(&mut a, &[1.0, 2.0], &[1.0, 0.0, -1.0]);
/// assert_eq!(a, [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0]]);
/// ```
pub fn add_outer<F: Float, const R: usize, const C: usize>(
    a: &mut Matrix<F, R, C>,
    u: &Vector<F, R>,
    v: &Vector<F, C>,
) {
    for (a_i, &u_i) in a.iter_mut().zip(u) {
        axpy(u_i, v, a_i);
    }
}
// ANCHOR_END: add_outer

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposed_product_is_the_product_with_the_transpose() {
        let w = [[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let wt = [[1.0f64, 4.0], [2.0, 5.0], [3.0, 6.0]];
        let v = [0.5, -2.0];
        let (mut a, mut b) = ([1.0; 3], [1.0; 3]);
        matvec_transposed_add(&w, &v, &mut a);
        matvec_add(&wt, &v, &mut b);
        assert_eq!(a, b);
        assert_eq!(a, [-6.5, -8.0, -9.5]);
    }

    #[test]
    fn outer_product_is_a_product_of_a_column_and_a_row() {
        let mut a = [[1.0f64; 2]; 3];
        add_outer(&mut a, &[1.0, 2.0, 3.0], &[10.0, -1.0]);
        assert_eq!(a, [[11.0, 0.0], [21.0, -1.0], [31.0, -2.0]]);
    }
}
