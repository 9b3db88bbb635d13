//! The matrix products of training, shaped for the machine: rows read
//! four at a time, column tiles whose sums stay in registers, rows in an
//! order that suits the cache, batched and transposed products.
//!
//! Each is the textbook product of [`crate::matrix`] with its additions
//! grouped differently, or the same additions in the same order (then equal
//! bit for bit); `tests/engine_equals_reference.rs` checks every one against
//! its reference.
//!
//! | function | computes | reference |
//! |---|---|---|
//! | [`axpy`] | `y += α x`, fused where the target has FMA | [`matrix::axpy`](crate::matrix::axpy) |
//! | [`matvec_transposed_add`], [`matvec_transposed_add_ordered`] | `out += Wᵀ v`, four rows per pass | [`matrix::matvec_transposed_add`](crate::matrix::matvec_transposed_add) |
//! | [`matmat_transposed_add`] | `outs[t] += Wᵀ vs[t]` for a batch of t | the same, once per t |
//! | [`add_outer`] | `A += u vᵀ` | [`matrix::add_outer`](crate::matrix::add_outer) |
//! | [`sum_outer`] | `A = Σ_t u_t v_tᵀ` | `add_outer`, once per t |
//! | [`transpose`] | `t = Aᵀ` | (exact) |

use super::float::FastFloat as Float;
use super::target::{FUSED_MULTIPLY_ADD, TILE_BYTES, TILES};
use crate::matrix::{Matrix, Vector};
use core::borrow::{Borrow, BorrowMut};

// ANCHOR: axpy
/// `y += alpha · x`, element by element (BLAS's "axpy").
///
/// Every element is independent, so this loop vectorises as written. Each
/// multiply-add is one [`Float::mul_add`]: fused where the target has FMA.
#[inline]
pub fn axpy<F: Float>(alpha: F, x: &[F], y: &mut [F]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = alpha.mul_add(*xi, *yi); // yi + alpha xi
    }
}
// ANCHOR_END: axpy

// ANCHOR: matvec_transposed
/// `out += Wᵀ v` without forming `Wᵀ`: the sum of the rows of `W`, row i weighted by `v[i]`.
///
/// Shapes: `W`: R×C, `v`: R, `out`: C. Reading `W` row by row keeps memory access
/// contiguous, and every element of `out` is an independent sum: the loop over
/// `out` vectorises without any reordering of additions. Four rows are added per
/// pass over `out`, so `out` is loaded and stored once per four rows instead of
/// once per row (the textbook form, one `axpy` per row, is
/// [`matrix::matvec_transposed_add`](crate::matrix::matvec_transposed_add)).
///
/// ```
/// use min_char_rnn::engine::products::matvec_transposed_add;
/// let w = [[1.0f64, 2.0], [3.0, 4.0]];
/// let mut out = [0.0f64; 2];
/// matvec_transposed_add(&w, &[1.0, 10.0], &mut out);
/// assert_eq!(out, [31.0, 42.0]);
/// ```
#[inline]
pub fn matvec_transposed_add<F: Float, const R: usize, const C: usize>(
    w: &Matrix<F, R, C>,
    v: &Vector<F, R>,
    out: &mut Vector<F, C>,
) {
    add_weighted_rows(out, w, 0, |i| v[i], RowOrder::Forwards);
}

/// [`matvec_transposed_add`] with the rows of `W` visited in the given
/// order, which changes only the rounding of the sums. Shapes: as there.
#[inline]
pub fn matvec_transposed_add_ordered<F: Float, const R: usize, const C: usize>(
    w: &[impl Borrow<[F; C]>; R],
    v: &Vector<F, R>,
    out: &mut Vector<F, C>,
    order: RowOrder,
) {
    add_weighted_rows(out, w, 0, |i| v[i], order);
}

/// The order in which [`matvec_transposed_add_ordered`] visits the rows of
/// its matrix: first to last, or last to first (blocks of four rows from the
/// last block to the first, the rows left over after the blocks before them).
///
/// The recurrent products read the same matrix at every step. When it is a
/// little larger than the L1 cache (`Whh` at H = 100 is 40 KB, the cache
/// 32 KB), reading it first to last every time evicts the first rows just
/// before they are needed again, and every row comes from the slower L2
/// cache; reading it the other way at every other step starts with the rows
/// read last, which are still in L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowOrder {
    /// Row 0 first.
    Forwards,
    /// The last row first.
    Backwards,
}

impl RowOrder {
    /// `Forwards` at even steps `t`, `Backwards` at odd ones.
    ///
    /// ```
    /// use min_char_rnn::engine::products::RowOrder;
    /// assert_eq!(RowOrder::alternating(0), RowOrder::Forwards);
    /// assert_eq!(RowOrder::alternating(7), RowOrder::Backwards);
    /// ```
    pub fn alternating(t: usize) -> Self {
        if t % 2 == 0 {
            RowOrder::Forwards
        } else {
            RowOrder::Backwards
        }
    }
}

/// `acc += Σ_k weight(k) · rows[k][from..]`, four rows per pass over `acc`
/// (which covers `acc.len()` columns from column `from`), in the given order:
/// [`add_weighted_rows_n`] with one accumulator.
#[inline(always)]
fn add_weighted_rows<F: Float, const C: usize>(
    acc: &mut [F],
    rows: &[impl Borrow<[F; C]>],
    from: usize,
    weight: impl Fn(usize) -> F,
    order: RowOrder,
) {
    add_weighted_rows_n([acc], rows, from, |_, k| weight(k), order);
}

/// `accs[n] += Σ_k weight(n, k) · rows[k][from..]` for N accumulators of
/// equal length at once, four rows per step, the rows in the given order.
///
/// Every element of the rows is read once for all N sums, so N > 1 needs
/// fewer loads per multiply-add. The columns go in tiles narrow enough for
/// their N·width sums to stay in registers while every row passes (see
/// [`TILE_BYTES`]): each element of the accumulators is loaded and stored
/// once per tile, not once per four rows. Neither changes a bit: each
/// element is summed in the order the rows are given, four at a time by
/// [`add_weighted4`], the rows left over one at a time, as by [`axpy`].
#[inline(always)]
fn add_weighted_rows_n<F: Float, const C: usize, const N: usize, Rw: Borrow<[F; C]>>(
    accs: [&mut [F]; N],
    rows: &[Rw],
    from: usize,
    weight: impl Fn(usize, usize) -> F,
    order: RowOrder,
) {
    if TILES {
        let max = tile_columns(TILE_BYTES, F::BYTES, N);
        add_weighted_rows_tiled(accs, rows, from, weight, order, max);
    } else {
        // Sums in place, one pass: no tiles to compile (see `TILE_BYTES`).
        let width = accs.first().map_or(0, |acc| acc.len());
        add_rows_to(&mut { accs }, rows, (from, width), &weight, order);
    }
}

// ANCHOR_END: matvec_transposed

// ANCHOR: add_rows
/// The rows of [`add_weighted_rows_n`], columns `col .. col + width`, added
/// to `sums` (each `width` long): four at a time by [`add_weighted4`], the rows
/// left over one at a time (as by [`axpy`]), in the given order.
#[inline(always)]
fn add_rows_to<F: Float, const C: usize, const N: usize, Rw: Borrow<[F; C]>>(
    sums: &mut [&mut [F]; N],
    rows: &[Rw],
    columns: (usize, usize),
    weight: &impl Fn(usize, usize) -> F,
    order: RowOrder,
) {
    let blocks = rows.chunks_exact(4);
    let done = rows.len() - blocks.remainder().len();
    let rest = blocks.remainder().iter().enumerate();
    match order {
        RowOrder::Forwards => {
            for (b, block) in blocks.enumerate() {
                add_block(sums, 4 * b, block, columns, weight);
            }
            for (k, row) in rest {
                add_row(sums, done + k, row, columns, weight);
            }
        }
        RowOrder::Backwards => {
            for (k, row) in rest.rev() {
                add_row(sums, done + k, row, columns, weight);
            }
            for (b, block) in blocks.enumerate().rev() {
                add_block(sums, 4 * b, block, columns, weight);
            }
        }
    }
}

/// Rows `i .. i + 4` (`block`) of [`add_rows_to`].
#[inline(always)]
fn add_block<F: Float, const C: usize, const N: usize, Rw: Borrow<[F; C]>>(
    sums: &mut [&mut [F]; N],
    i: usize,
    block: &[Rw],
    (col, width): (usize, usize),
    weight: &impl Fn(usize, usize) -> F,
) {
    let k: [[F; 4]; N] = core::array::from_fn(|n| core::array::from_fn(|r| weight(n, i + r)));
    let [x0, x1, x2, x3] = core::array::from_fn(|r| &block[r].borrow()[col..col + width]);
    let x = x0.iter().zip(x1).zip(x2).zip(x3);
    for (j, (((&x0, &x1), &x2), &x3)) in x.enumerate() {
        for (s, &k) in sums.iter_mut().zip(&k) {
            s[j] = add_weighted4(s[j], k, [x0, x1, x2, x3]);
        }
    }
}

/// Row `i` of [`add_rows_to`], alone.
#[inline(always)]
fn add_row<F: Float, const C: usize, const N: usize>(
    sums: &mut [&mut [F]; N],
    i: usize,
    row: &impl Borrow<[F; C]>,
    (col, width): (usize, usize),
    weight: &impl Fn(usize, usize) -> F,
) {
    let x = &row.borrow()[col..col + width];
    for (n, s) in sums.iter_mut().enumerate() {
        axpy(weight(n, i), x, s);
    }
}

/// `s + k[0] x[0] + k[1] x[1] + k[2] x[2] + k[3] x[3]`, always in the same
/// order, so every product built from it rounds the same way.
///
/// Without FMA, the four products are summed first and added to `s` once:
/// one load and store of `s` per four rows where the sums stay in memory.
/// With FMA, four fused multiply-adds into `s`, one row after another:
/// exactly four [`axpy`] steps, and half the instructions of a multiply and
/// an add each.
#[inline(always)]
fn add_weighted4<F: Float>(s: F, k: [F; 4], x: [F; 4]) -> F {
    if FUSED_MULTIPLY_ADD {
        let s = k[0].mul_add(x[0], s);
        let s = k[1].mul_add(x[1], s);
        let s = k[2].mul_add(x[2], s);
        k[3].mul_add(x[3], s)
    } else {
        s + ((k[0] * x[0] + k[1] * x[1]) + (k[2] * x[2] + k[3] * x[3]))
    }
}
// ANCHOR_END: add_rows

/// How many columns a tile of [`add_weighted_rows_tiled`] may have, for `n`
/// sums of `bytes`-byte floats in `tile_bytes` (see [`TILE_BYTES`]): as many
/// as fit, rounded down to a power of two, at most 256.
const fn tile_columns(tile_bytes: usize, bytes: usize, n: usize) -> usize {
    let columns = tile_bytes / bytes / n;
    if columns >= 256 {
        256
    } else if columns < 1 {
        1
    } else {
        1 << columns.ilog2()
    }
}

/// [`add_weighted_rows_n`] in tiles of at most `max` columns (a power of
/// two, at most 256), each tile's sums in registers.
#[inline(always)]
fn add_weighted_rows_tiled<F: Float, const C: usize, const N: usize, Rw: Borrow<[F; C]>>(
    mut accs: [&mut [F]; N],
    rows: &[Rw],
    from: usize,
    weight: impl Fn(usize, usize) -> F,
    order: RowOrder,
    max: usize,
) {
    let n = accs.first().map_or(0, |acc| acc.len());
    let accs = &mut accs;
    let args = (from, &weight, order);
    if n == C && C <= max {
        return weighted_rows_tile::<F, C, N, C, Rw>(accs, rows, 0, args);
    }
    let mut tile = |c0: usize, width: usize| {
        let f = match width {
            256 => weighted_rows_tile::<F, C, N, 256, Rw>,
            128 => weighted_rows_tile::<F, C, N, 128, Rw>,
            64 => weighted_rows_tile::<F, C, N, 64, Rw>,
            32 => weighted_rows_tile::<F, C, N, 32, Rw>,
            16 => weighted_rows_tile::<F, C, N, 16, Rw>,
            8 => weighted_rows_tile::<F, C, N, 8, Rw>,
            4 => weighted_rows_tile::<F, C, N, 4, Rw>,
            2 => weighted_rows_tile::<F, C, N, 2, Rw>,
            1 => weighted_rows_tile::<F, C, N, 1, Rw>,
            _ => unreachable!("a power of two up to 256"),
        };
        f(accs, rows, c0, args)
    };
    // Whole tiles of `max` columns, then the rest in tiles of halving widths;
    // backwards, the exact reverse, so that the data read last is read first.
    let full = n - n % max;
    match order {
        RowOrder::Forwards => {
            for c0 in (0..full).step_by(max) {
                tile(c0, max);
            }
            let (mut c0, mut width) = (full, max / 2);
            while width > 0 {
                if (n - full) & width != 0 {
                    tile(c0, width);
                    c0 += width;
                }
                width /= 2;
            }
        }
        RowOrder::Backwards => {
            let (mut c0, mut width) = (n, 1);
            while width < max {
                if (n - full) & width != 0 {
                    c0 -= width;
                    tile(c0, width);
                }
                width *= 2;
            }
            for c0 in (0..full).step_by(max).rev() {
                tile(c0, max);
            }
        }
    }
}

// ANCHOR: tile
/// Columns `from + c0 .. from + c0 + W` of [`add_weighted_rows_tiled`]: the
/// sums are copied into a local array, which the compiler keeps in
/// registers while every row passes, and stored back once.
#[inline(always)]
fn weighted_rows_tile<
    F: Float,
    const C: usize,
    const N: usize,
    const W: usize,
    Rw: Borrow<[F; C]>,
>(
    accs: &mut [&mut [F]; N],
    rows: &[Rw],
    c0: usize,
    (from, weight, order): (usize, &impl Fn(usize, usize) -> F, RowOrder),
) {
    let mut tile = accs.each_mut().map(|acc| &mut acc[c0..c0 + W]);
    let mut sums: [[F; W]; N] = tile
        .each_ref()
        .map(|acc| (&acc[..]).try_into().expect("W columns"));
    let mut sums_ref = sums.each_mut().map(|s| &mut s[..]);
    add_rows_to(&mut sums_ref, rows, (from + c0, W), weight, order);
    for (acc, s) in tile.iter_mut().zip(&sums) {
        acc.copy_from_slice(s);
    }
}
// ANCHOR_END: tile

// ANCHOR: matmat_transposed
/// `outs[t] += Wᵀ vs[t]` for every t: [`matvec_transposed_add`] for a batch of
/// vectors.
///
/// Shapes: `W`: R×C (rows plain or [`Row`](super::Row)s); each `vs[t]`: R; each
/// `outs[t]`: C (as many as `vs`). One product alone uses every element of
/// `W` it reads for a single multiply-add, and a matrix of tens of kilobytes
/// comes from the slower L2 cache each time. Here 32 rows at a time are read
/// once and then used for every t while they sit in the L1 cache; the
/// outputs, a few kilobytes, stay there too. Two t at a time share every
/// read of those rows, which leaves fewer loads than multiply-adds. That is
/// the point of taking products out of the recurrence whenever they do not
/// depend on it. Each `outs[t]` is summed in the same order as by
/// [`matvec_transposed_add`], so the results are equal bit for bit (tested).
///
/// ```
/// use min_char_rnn::engine::products::matmat_transposed_add;
/// let w = [[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let vs = [[1.0f32, 0.0, 0.0], [0.0, 1.0, 1.0]];
/// let mut outs = [[0.0f32; 2]; 2];
/// matmat_transposed_add(&w, &vs, &mut outs);
/// assert_eq!(outs, [[1.0, 2.0], [8.0, 10.0]]);
/// ```
#[inline]
pub fn matmat_transposed_add<F: Float, const R: usize, const C: usize>(
    w: &[impl Borrow<[F; C]>; R],
    vs: &[impl Borrow<[F; R]>],
    outs: &mut [Vector<F, C>],
) {
    for (c, rows) in w.chunks(ROWS_PER_PASS).enumerate() {
        let first = c * ROWS_PER_PASS;
        let (mut pairs, mut v_pairs) = (outs.chunks_exact_mut(2), vs.chunks_exact(2));
        for (out, v) in (&mut pairs).zip(&mut v_pairs) {
            let [out0, out1] = out else {
                unreachable!("chunks of 2")
            };
            let weight = |n: usize, k: usize| v[n].borrow()[first + k];
            add_weighted_rows_n([out0, out1], rows, 0, weight, RowOrder::Forwards);
        }
        for (out, v) in pairs.into_remainder().iter_mut().zip(v_pairs.remainder()) {
            add_weighted_rows(out, rows, 0, |k| v.borrow()[first + k], RowOrder::Forwards);
        }
    }
}

/// Rows of `W` per pass over the outputs in [`matmat_transposed_add`]: a
/// multiple of four, so that the sums are formed in the same order as in one
/// pass; 32 rows of 100 floats take 12.8 KB of the L1 cache.
const ROWS_PER_PASS: usize = 32;
// ANCHOR_END: matmat_transposed

// ANCHOR: matmat_streams
/// `outs[n] += Wᵀ vs[n]` for every n, the rows of `W` visited in the given
/// order: [`matvec_transposed_add_ordered`] for a batch of independent
/// streams, as the minibatched recurrence needs at every step.
///
/// Shapes: `W`: R×C; each `vs[n]`: R; each `outs[n]`: C (as many as `vs`),
/// plain or [`Row`](super::Row)s. Four vectors at a time share every read of
/// a row of `W`, so each element loaded feeds four multiply-adds instead of
/// one: a small matrix–matrix product (a GEMM), the `B×R` matrix of the `vs`
/// times `W`. And `W` goes 32 rows at a time, each block read once from the
/// L2 cache and then from L1 for every group of four. Neither changes a bit:
/// each `outs[n]` is summed in exactly the order of
/// `matvec_transposed_add_ordered` with the same order (tested).
///
/// ```
/// use min_char_rnn::engine::products::{RowOrder, matmat_transposed_add_ordered};
/// let w = [[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
/// let vs = [[1.0f32, 0.0, 0.0], [0.0, 1.0, 1.0]];
/// let mut outs = [[0.0f32; 2]; 2];
/// matmat_transposed_add_ordered(&w, &vs, &mut outs, RowOrder::Backwards);
/// assert_eq!(outs, [[1.0, 2.0], [8.0, 10.0]]);
/// ```
#[inline]
pub fn matmat_transposed_add_ordered<F: Float, const R: usize, const C: usize>(
    w: &[impl Borrow<[F; C]>; R],
    vs: &[impl Borrow<[F; R]>],
    outs: &mut [impl BorrowMut<[F; C]>],
    order: RowOrder,
) {
    let n = vs.len().min(outs.len());
    let (vs, outs) = (&vs[..n], &mut outs[..n]);
    // Blocks of rows starting at multiples of ROWS_PER_PASS (itself a
    // multiple of four), taken last to first when backwards: the sums are
    // then formed in the order of one pass over all rows.
    let blocks = w.chunks(ROWS_PER_PASS).enumerate();
    let mut one_block = |(c, rows): (usize, &[_])| {
        let first = c * ROWS_PER_PASS;
        let (mut fours, mut v_fours) = (outs.chunks_exact_mut(4), vs.chunks_exact(4));
        for (out, v) in (&mut fours).zip(&mut v_fours) {
            let [o0, o1, o2, o3] = out else {
                unreachable!("chunks of 4")
            };
            let accs = [o0, o1, o2, o3].map(|o| &mut o.borrow_mut()[..]);
            let weight = |m: usize, k: usize| v[m].borrow()[first + k];
            add_weighted_rows_n(accs, rows, 0, weight, order);
        }
        for (out, v) in fours.into_remainder().iter_mut().zip(v_fours.remainder()) {
            let weight = |k: usize| v.borrow()[first + k];
            add_weighted_rows(out.borrow_mut(), rows, 0, weight, order);
        }
    };
    match order {
        RowOrder::Forwards => blocks.for_each(&mut one_block),
        RowOrder::Backwards => blocks.rev().for_each(&mut one_block),
    }
}
// ANCHOR_END: matmat_streams

// ANCHOR: sum_outer
/// `A = Σ_t u_t v_tᵀ` over the pairs of `us` and `vs` (equal lengths): a sum of
/// outer products, i.e. the matrix product of the stacked `u`s, transposed,
/// with the stacked `v`s.
///
/// Row i of A is `Σ_t u_t[i]·v_t`, a sum of the rows v_t weighted by
/// `u_t[i]`, built four t at a time (in registers where the target has
/// enough, with AVX or AVX-512); four rows of A at a time share every read of
/// the v_t. Shapes: `A`: R×C; each u_t: R; each v_t: C (plain or a
/// [`Row`](super::Row)).
///
/// ```
/// use min_char_rnn::engine::products::sum_outer;
/// let mut a = [[9.0f32; 2]; 2]; // overwritten
/// sum_outer(&mut a, &[[1.0, 0.0], [0.0, 2.0]], &[[1.0, 1.0], [3.0, 4.0]]);
/// assert_eq!(a, [[1.0, 1.0], [6.0, 8.0]]);
/// ```
#[inline]
pub fn sum_outer<F: Float, const R: usize, const C: usize>(
    a: &mut Matrix<F, R, C>,
    us: &[Vector<F, R>],
    vs: &[impl Borrow<[F; C]>],
) {
    let n = us.len().min(vs.len());
    if C > 2 * BLOCK {
        return sum_outer_blocked(a, &us[..n], &vs[..n]);
    }
    for row in a.iter_mut() {
        row.fill(F::ZERO);
    }
    // The t in passes of PAIRS_PER_PASS (a multiple of four: the sums keep
    // their order), so that a minibatch's hundreds of v_t are read from the
    // L2 cache once per pass, not once per rows of A.
    for (c, vs) in vs[..n].chunks(PAIRS_PER_PASS).enumerate() {
        let first = c * PAIRS_PER_PASS;
        let mut fours = a.chunks_exact_mut(4);
        for (p, a_four) in (&mut fours).enumerate() {
            let [a0, a1, a2, a3] = a_four else {
                unreachable!("chunks of 4")
            };
            let weight = |q: usize, t: usize| us[first + t][4 * p + q];
            add_weighted_rows_n([a0, a1, a2, a3], vs, 0, weight, RowOrder::Forwards);
        }
        let done = R - fours.into_remainder().len();
        for (i, a_row) in a[done..].iter_mut().enumerate() {
            let weight = |t: usize| us[first + t][done + i];
            add_weighted_rows(a_row, vs, 0, weight, RowOrder::Forwards);
        }
    }
}

/// Pairs (u_t, v_t) per pass over A in [`sum_outer`]: a multiple of four; 64
/// rows of 100 floats take 25.6 KB of the L1 cache.
const PAIRS_PER_PASS: usize = 64;
// ANCHOR_END: sum_outer

/// Columns per block in [`sum_outer_blocked`].
const BLOCK: usize = 64;

/// [`sum_outer`] for wide matrices, a block of [`BLOCK`] columns at a time:
/// the accumulators of four rows of the block stay in registers, sharing each
/// slice of `vs` they read, and the T slices stay in the L1 cache while every
/// row of A is computed.
fn sum_outer_blocked<F: Float, const R: usize, const C: usize>(
    a: &mut Matrix<F, R, C>,
    us: &[Vector<F, R>],
    vs: &[impl Borrow<[F; C]>],
) {
    for c0 in (0..C).step_by(BLOCK) {
        let width = BLOCK.min(C - c0);
        let mut done = 0;
        if width == BLOCK {
            for (q, a4) in a.chunks_exact_mut(4).enumerate() {
                four_rows_of_block(a4, us, vs, 4 * q, c0);
            }
            done = R - R % 4;
        }
        for (i, a_i) in a.iter_mut().enumerate().skip(done) {
            let mut block = [F::ZERO; BLOCK];
            let acc = &mut block[..width];
            add_weighted_rows(acc, vs, c0, |t| us[t][i], RowOrder::Forwards);
            a_i[c0..c0 + width].copy_from_slice(acc);
        }
    }
}

/// Rows `i0..i0 + 4`, columns `c0..c0 + BLOCK` of [`sum_outer`]'s A: four
/// accumulators in registers that share every read of `vs`. Each element is
/// summed in the same order as by [`add_weighted_rows`].
#[inline(always)]
fn four_rows_of_block<F: Float, const R: usize, const C: usize>(
    a4: &mut [[F; C]],
    us: &[Vector<F, R>],
    vs: &[impl Borrow<[F; C]>],
    i0: usize,
    c0: usize,
) {
    let mut acc = [[F::ZERO; BLOCK]; 4];
    let mut blocks = vs.chunks_exact(4);
    for (b, v4) in (&mut blocks).enumerate() {
        let v: [&[F; BLOCK]; 4] = core::array::from_fn(|q| {
            v4[q].borrow()[c0..c0 + BLOCK]
                .try_into()
                .expect("a full block")
        });
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let k: [F; 4] = core::array::from_fn(|q| us[4 * b + q][i0 + r]);
            for (j, acc_rj) in acc_r.iter_mut().enumerate() {
                *acc_rj = add_weighted4(*acc_rj, k, [v[0][j], v[1][j], v[2][j], v[3][j]]);
            }
        }
    }
    let done = vs.len() - blocks.remainder().len();
    for (k, v) in blocks.remainder().iter().enumerate() {
        for (r, acc_r) in acc.iter_mut().enumerate() {
            axpy(us[done + k][i0 + r], &v.borrow()[c0..c0 + BLOCK], acc_r);
        }
    }
    for (a_r, acc_r) in a4.iter_mut().zip(&acc) {
        a_r[c0..c0 + BLOCK].copy_from_slice(acc_r);
    }
}

// ANCHOR: add_outer
/// `A += u vᵀ`: the outer product, accumulated. Row i of `A` gains `u[i] · v`.
///
/// Shapes: `A`: R×C, `u`: R, `v`: C.
///
/// ```
/// use min_char_rnn::engine::products::add_outer;
/// let mut a = [[0.0f32; 3]; 2];
/// add_outer(&mut a, &[1.0, 2.0], &[1.0, 0.0, -1.0]);
/// assert_eq!(a, [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0]]);
/// ```
#[inline]
pub fn add_outer<F: Float, const R: usize, const C: usize>(
    a: &mut Matrix<F, R, C>,
    u: &Vector<F, R>,
    v: &Vector<F, C>,
) {
    for (row, &u_i) in a.iter_mut().zip(u) {
        axpy(u_i, v, row);
    }
}
// ANCHOR_END: add_outer

// ANCHOR: transpose
/// `t = Aᵀ`: `t[j][i] = A[i][j]`. Shapes: `A`: R×C, `t`: C×R.
///
/// One side is always read or written a column at a time, a stride of a whole
/// row, and element by element that is slow (compiled for AVX-512, into gather
/// instructions slower than plain loads). So four rows of `A` at a time are
/// first interleaved into a small buffer, `z[j] = [A[i][j], A[i+1][j],
/// A[i+2][j], A[i+3][j]]`, which is contiguous on both sides and compiles to
/// vector loads, shuffles and stores; then each `z[j]` is copied whole into
/// row j of `t`. Columns go in groups of 32 (16 beyond 16,384 elements), all
/// rows of `A` for one group before the next, so that the rows of `t` being
/// filled stay in the L1 cache until they are complete, even when their
/// stride is a power of two.
///
/// ```
/// use min_char_rnn::engine::products::transpose;
/// let mut t = [[0; 2]; 3];
/// transpose(&[[1, 2, 3], [4, 5, 6]], &mut t);
/// assert_eq!(t, [[1, 4], [2, 5], [3, 6]]);
/// ```
// Out of line: it runs once per window, and inlined into the forward pass it
// was compiled into gathers again and ran three times slower (measured).
#[inline(never)]
pub fn transpose<T: Copy + Default, const R: usize, const C: usize>(
    a: &[[T; C]; R],
    t: &mut [impl BorrowMut<[T; R]>; C],
) {
    let group = if R * C <= 16_384 { 32 } else { 16 };
    let mut z = [[T::default(); 4]; 32];
    for j0 in (0..C).step_by(group) {
        let z = &mut z[..group.min(C - j0)];
        for (q, rows) in a.chunks_exact(4).enumerate() {
            let r: [&[T]; 4] = core::array::from_fn(|k| &rows[k][j0..j0 + z.len()]);
            for (j, z_j) in z.iter_mut().enumerate() {
                *z_j = [r[0][j], r[1][j], r[2][j], r[3][j]];
            }
            for (t_j, z_j) in t[j0..].iter_mut().zip(z.iter()) {
                t_j.borrow_mut()[4 * q..4 * q + 4].copy_from_slice(z_j);
            }
        }
    }
    for (i, a_i) in a.iter().enumerate().skip(R - R % 4) {
        for (t_j, &a_ij) in t.iter_mut().zip(a_i) {
            t_j.borrow_mut()[i] = a_ij;
        }
    }
}
// ANCHOR_END: transpose

#[cfg(test)]
mod tests {
    use super::super::Row;
    use super::*;
    use crate::rng::Rng;

    /// A matrix of standard normal draws, of whatever shape the caller names.
    fn normal_matrix<const R: usize, const C: usize>(rng: &mut Rng) -> [[f64; C]; R] {
        core::array::from_fn(|_| core::array::from_fn(|_| rng.normal()))
    }

    /// The `us` and `vs` of N random outer products, from a seed.
    fn normal_pairs<const R: usize, const C: usize, const N: usize>(
        seed: u64,
    ) -> ([[f64; R]; N], [[f64; C]; N]) {
        let mut rng = Rng::new(seed);
        let us = normal_matrix(&mut rng);
        (us, normal_matrix(&mut rng))
    }

    /// The streams' product equals one product per stream bit for bit, in
    /// either order, for any number of streams (groups of four and the rest)
    /// and a matrix of more rows than one block, not a multiple of four.
    #[test]
    fn streams_sum_as_one_product_each() {
        let mut rng = Rng::new(21);
        let w: [Row<f32, 13>; 70] =
            core::array::from_fn(|_| Row(core::array::from_fn(|_| rng.normal() as f32)));
        let vs: [[f32; 70]; 7] =
            core::array::from_fn(|_| core::array::from_fn(|_| rng.normal() as f32));
        let start: [Row<f32, 13>; 7] =
            core::array::from_fn(|_| Row(core::array::from_fn(|_| rng.normal() as f32)));
        for order in [RowOrder::Forwards, RowOrder::Backwards] {
            for n in [1, 3, 4, 7] {
                let mut outs = start;
                matmat_transposed_add_ordered(&w, &vs[..n], &mut outs[..n], order);
                for (m, out) in outs.iter().enumerate() {
                    let mut one = start[m].0;
                    if m < n {
                        matvec_transposed_add_ordered(&w, &vs[m], &mut one, order);
                    }
                    assert_eq!(out.0, one, "order {order:?}, {n} streams, stream {m}");
                }
            }
        }
    }

    /// The two orders, written out for 9 rows: blocks B0 (rows 0–3) and B1
    /// (rows 4–7), and row 8 left over.
    #[test]
    fn row_orders_sum_in_the_stated_order() {
        let mut rng = Rng::new(14);
        let w: [[f32; 3]; 9] =
            core::array::from_fn(|_| core::array::from_fn(|_| rng.normal() as f32 * 1e3));
        let v: [f32; 9] = core::array::from_fn(|_| rng.normal() as f32);
        let start: [f32; 3] = core::array::from_fn(|_| rng.normal() as f32);
        let block = |s: f32, b: usize, j: usize| {
            let k = core::array::from_fn(|r| v[4 * b + r]);
            add_weighted4(s, k, core::array::from_fn(|r| w[4 * b + r][j]))
        };
        let row8 = |s: f32, j: usize| Float::mul_add(v[8], w[8][j], s);
        let (mut forwards, mut backwards) = (start, start);
        matvec_transposed_add_ordered(&w, &v, &mut forwards, RowOrder::Forwards);
        matvec_transposed_add_ordered(&w, &v, &mut backwards, RowOrder::Backwards);
        for j in 0..3 {
            let s = start[j];
            assert_eq!(forwards[j], row8(block(block(s, 0, j), 1, j), j));
            assert_eq!(backwards[j], block(block(row8(s, j), 1, j), 0, j));
        }
        // And they can differ: 1 + 0.75 − 1e8 + 1e8 is 0 one way round, 0.75
        // the other (f32 spaces its values 8 apart near 1e8).
        let mut w = [[0.0f32; 1]; 9];
        (w[0][0], w[4][0], w[8][0]) = (0.75, -1e8, 1e8);
        let v = [1.0f32, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let (mut forwards, mut backwards) = ([1.0f32], [1.0f32]);
        matvec_transposed_add_ordered(&w, &v, &mut forwards, RowOrder::Forwards);
        matvec_transposed_add_ordered(&w, &v, &mut backwards, RowOrder::Backwards);
        assert_eq!((forwards, backwards), ([0.0], [0.75]));
    }

    /// Tiles of every width, in both orders, for one and two sums, and for a
    /// column range that starts inside the rows: the same bits as the sums
    /// in place in one pass (the path without AVX).
    #[test]
    fn tiles_change_no_bit() {
        let mut rng = Rng::new(21);
        let w: [[f64; 45]; 11] = normal_matrix(&mut rng);
        let v: [[f64; 11]; 2] = normal_matrix(&mut rng);
        let start: [[f64; 45]; 2] = normal_matrix(&mut rng);
        let weight = |n: usize, k: usize| v[n][k];
        for order in [RowOrder::Forwards, RowOrder::Backwards] {
            for from in [0, 8] {
                let [mut a0, mut a1] = start;
                let mut in_place = [&mut a0[from..], &mut a1[from..]];
                add_rows_to(&mut in_place, &w, (from, 45 - from), &weight, order);
                let mut max = 1;
                while max <= 256 {
                    let [mut b0, mut b1] = start;
                    let (b0, b1) = (&mut b0[from..], &mut b1[from..]);
                    add_weighted_rows_tiled([&mut *b0, &mut *b1], &w, from, weight, order, max);
                    assert_eq!([&*b0, &*b1], [&*in_place[0], &*in_place[1]], "max {max}");
                    let mut c0 = start[0];
                    let c0 = &mut c0[from..];
                    add_weighted_rows_tiled([&mut *c0], &w, from, |_, k| v[0][k], order, max);
                    assert_eq!(&*c0, &*in_place[0], "max {max}, one sum");
                    max *= 2;
                }
            }
        }
    }

    #[test]
    fn tile_widths_are_powers_of_two() {
        for tile_bytes in [32, 256, 1024, 1 << 20] {
            for bytes in [4, 8] {
                for n in 1..=8 {
                    let max = tile_columns(tile_bytes, bytes, n);
                    assert!(max.is_power_of_two() && max <= 256, "{n}×{bytes}: {max}");
                }
            }
        }
    }

    fn check_batch<const R: usize, const C: usize>(rng: &mut Rng) {
        let w: [[f64; C]; R] = normal_matrix(rng);
        let vs: [[f64; R]; 5] = normal_matrix(rng);
        let start: [[f64; C]; 5] = normal_matrix(rng);
        let mut batch = start;
        matmat_transposed_add(&w, &vs, &mut batch);
        for ((out, v), start) in batch.iter().zip(&vs).zip(&start) {
            let mut one = *start;
            matvec_transposed_add(&w, v, &mut one);
            assert_eq!(*out, one, "R={R} C={C}");
        }
    }

    #[test]
    fn batch_form_is_the_single_form_bit_for_bit() {
        let mut rng = Rng::new(8);
        check_batch::<1, 3>(&mut rng);
        check_batch::<4, 5>(&mut rng);
        check_batch::<7, 16>(&mut rng);
        check_batch::<100, 76>(&mut rng);
        check_batch::<76, 100>(&mut rng);
    }

    #[test]
    fn transpose_small_and_tiled() {
        check_transpose::<130, 150>(); // 19,500 elements: groups of 16, partial groups and rows
        check_transpose::<100, 100>();
        check_transpose::<37, 48>(); // one row left over after the groups of four
        check_transpose::<3, 5>(); // no group of four at all
        check_transpose::<1, 1>();
    }

    fn check_transpose<const R: usize, const C: usize>() {
        let mut rng = Rng::new(5);
        let a: [[f64; C]; R] = normal_matrix(&mut rng);
        let mut t = [[0.0; R]; C];
        transpose(&a, &mut t);
        for i in 0..R {
            for j in 0..C {
                assert_eq!(t[j][i], a[i][j], "R={R} C={C}");
            }
        }
    }

    /// Rows computed two at a time are summed exactly as one row alone is.
    fn check_rows_in_pairs<const R: usize, const C: usize, const N: usize>(seed: u64) {
        let (us, vs) = normal_pairs::<R, C, N>(seed);
        let mut summed = [[0.0f64; C]; R];
        sum_outer(&mut summed, &us, &vs);
        for (i, row) in summed.iter().enumerate() {
            let mut alone = [0.0f64; C];
            add_weighted_rows(&mut alone, &vs, 0, |t| us[t][i], RowOrder::Forwards);
            assert_eq!(*row, alone, "R={R} C={C} N={N} row {i}");
        }
    }

    #[test]
    fn sum_outer_rows_in_pairs_match_one_row_bit_for_bit() {
        check_rows_in_pairs::<3, 5, 7>(11); // a pair and a row left over
        check_rows_in_pairs::<100, 100, 24>(12); // dWhh's shape
        check_rows_in_pairs::<76, 100, 25>(13); // dWhy's shape
    }
}
