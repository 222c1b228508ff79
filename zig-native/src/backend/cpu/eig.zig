//! General (nonsymmetric) eigendecomposition of one real matrix in float64: Householder
//! reduction to upper Hessenberg form, then the shifted QR algorithm in complex arithmetic
//! (single Wilkinson shifts, implicit, with Givens rotations chasing the bulge) down to the
//! complex Schur form A = Z T Z^H, T upper triangular. The eigenvalues are T's diagonal; the
//! eigenvectors come from back-substitution in T, mapped back by Z, each scaled to unit
//! norm with its largest component real and positive (LAPACK's convention up to sign).
//! Working in complex arithmetic avoids the 2 x 2 blocks of the real double-shift variant.

const std = @import("std");
const assert = std.debug.assert;

const householder = @import("householder.zig");

const C = std.math.Complex(f64);

/// QR iterations allowed for each deflation are this many times max(10, n) (LAPACK's bound).
pub const iterations_per_deflation_factor = 30;

pub const Error = error{NoConvergence};

/// float64 scratch elements `decompose` needs for an n x n matrix.
pub fn workspaceLen(n: usize) usize {
    return 4 * n * n + 2 * n + 2 * n;
}

/// Eigenvalues of the real `a` (n x n, row-major, destroyed) into `values` (n complex
/// numbers as real, imaginary pairs); with `vectors`, the unit eigenvectors as the columns
/// of an n x n complex row-major matrix (pairs again). Non-finite input gives NaN everywhere.
pub fn decompose(a: []f64, n: usize, values: []f64, vectors: ?[]f64, work: []f64) Error!void {
    assert(a.len >= n * n and values.len >= 2 * n and work.len >= workspaceLen(n));
    if (!allFinite(a[0 .. n * n], n, values, vectors)) return;
    const h: []C = @as([*]C, @ptrCast(work.ptr))[0 .. n * n];
    const z: []C = @as([*]C, @ptrCast(work.ptr + 2 * n * n))[0 .. n * n];
    const scratch = work[4 * n * n ..][0 .. 2 * n];
    hessenberg(a, n, scratch[0..n], h, z);
    try finish(h, z, n, values, vectors, work);
}

/// As `decompose`, for a complex `a` (n x n complex, row-major, as real, imaginary pairs).
pub fn decomposeComplex(
    a_pairs: []const f64,
    n: usize,
    values: []f64,
    vectors: ?[]f64,
    work: []f64,
) Error!void {
    assert(a_pairs.len >= 2 * n * n and values.len >= 2 * n and work.len >= workspaceLen(n));
    if (!allFinite(a_pairs[0 .. 2 * n * n], n, values, vectors)) return;
    const h: []C = @as([*]C, @ptrCast(work.ptr))[0 .. n * n];
    const z: []C = @as([*]C, @ptrCast(work.ptr + 2 * n * n))[0 .. n * n];
    for (h, 0..) |*slot, i| slot.* = C.init(a_pairs[2 * i], a_pairs[2 * i + 1]);
    for (z, 0..) |*slot, index| slot.* = C.init(if (index / n == index % n) 1 else 0, 0);
    hessenbergComplex(h, z, n);
    try finish(h, z, n, values, vectors, work);
}

/// Eigenvalues (ascending, as pairs with zero imaginary parts) and orthonormal eigenvectors
/// (columns, pairs) of the Hermitian `a_pairs` (both triangles set). The Schur form of a
/// Hermitian matrix is diagonal, so the unitary Schur vectors are the eigenvectors.
pub fn decomposeHermitian(
    a_pairs: []const f64,
    n: usize,
    values: []f64,
    vectors: ?[]f64,
    work: []f64,
) Error!void {
    assert(a_pairs.len >= 2 * n * n and values.len >= 2 * n and work.len >= workspaceLen(n));
    if (!allFinite(a_pairs[0 .. 2 * n * n], n, values, vectors)) return;
    const h: []C = @as([*]C, @ptrCast(work.ptr))[0 .. n * n];
    const z: []C = @as([*]C, @ptrCast(work.ptr + 2 * n * n))[0 .. n * n];
    for (h, 0..) |*slot, i| slot.* = C.init(a_pairs[2 * i], a_pairs[2 * i + 1]);
    for (z, 0..) |*slot, index| slot.* = C.init(if (index / n == index % n) 1 else 0, 0);
    hessenbergComplex(h, z, n);
    try schur(h, z, n);
    // Selection sort of the real diagonal, moving the columns of z along.
    for (0..n) |i| {
        var smallest = i;
        for (i + 1..n) |j| {
            if (h[j * n + j].re < h[smallest * n + smallest].re) smallest = j;
        }
        values[2 * i] = h[smallest * n + smallest].re;
        values[2 * i + 1] = 0;
        if (smallest == i) continue;
        std.mem.swap(C, &h[i * n + i], &h[smallest * n + smallest]);
        for (0..n) |r| std.mem.swap(C, &z[r * n + i], &z[r * n + smallest]);
    }
    const v = vectors orelse return;
    for (z, 0..) |value, i| {
        v[2 * i] = value.re;
        v[2 * i + 1] = value.im;
    }
}

/// False (with NaN outputs) when `a` holds a non-finite value.
fn allFinite(a: []const f64, n: usize, values: []f64, vectors: ?[]f64) bool {
    var finite = true;
    for (a) |x| finite = finite and std.math.isFinite(x);
    if (finite) return true;
    @memset(values[0 .. 2 * n], std.math.nan(f64));
    if (vectors) |v| @memset(v[0 .. 2 * n * n], std.math.nan(f64));
    return false;
}

/// From Hessenberg `h` and its transform `z`: the Schur form, the values, the vectors.
fn finish(h: []C, z: []C, n: usize, values: []f64, vectors: ?[]f64, work: []f64) Error!void {
    try schur(h, z, n);
    for (0..n) |i| {
        values[2 * i] = h[i * n + i].re;
        values[2 * i + 1] = h[i * n + i].im;
    }
    const v = vectors orelse return;
    const x: []C = @as([*]C, @ptrCast(work.ptr + 4 * n * n + 2 * n))[0..n];
    eigenvectors(h, z, n, x, v);
}

/// Reduces the complex `h` to upper Hessenberg form with Givens rotations (bottom up in
/// each column), accumulating them into `z`.
fn hessenbergComplex(h: []C, z: []C, n: usize) void {
    var j: usize = 0;
    while (j + 2 < n) : (j += 1) {
        var i = n - 1;
        while (i >= j + 2) : (i -= 1) {
            const rotation = Givens.init(h[(i - 1) * n + j], h[i * n + j]);
            for (j..n) |column| rotation.applyRows(&h[(i - 1) * n + column], &h[i * n + column]);
            h[i * n + j] = C.init(0, 0);
            for (0..n) |row| rotation.applyColumns(&h[row * n + i - 1], &h[row * n + i]);
            for (0..n) |row| rotation.applyColumns(&z[row * n + i - 1], &z[row * n + i]);
        }
    }
}

/// Reduces `a` to upper Hessenberg form H = Q^T A Q with Householder reflections; writes H
/// and Q as complex matrices into `h` and `z`.
fn hessenberg(a: []f64, n: usize, v: []f64, h: []C, z: []C) void {
    for (z, 0..) |*slot, index| slot.* = C.init(if (index / n == index % n) 1 else 0, 0);
    var j: usize = 0;
    while (j + 2 < n) : (j += 1) {
        @memset(v, 0);
        for (j + 1..n) |i| v[i] = a[i * n + j];
        const reflector = householder.makeReflector(v[j + 1 .. n]);
        if (reflector.beta == 0) continue;
        const beta = reflector.beta;
        // A = P A (rows j+1..n), then A = A P (columns j+1..n), P = I - beta v v^T.
        for (0..n) |c| {
            var dot: f64 = 0;
            for (j + 1..n) |i| dot += v[i] * a[i * n + c];
            for (j + 1..n) |i| a[i * n + c] -= beta * v[i] * dot;
        }
        for (0..n) |r| {
            var dot: f64 = 0;
            for (j + 1..n) |i| dot += a[r * n + i] * v[i];
            for (j + 1..n) |i| a[r * n + i] -= beta * dot * v[i];
        }
        a[(j + 1) * n + j] = reflector.alpha;
        for (j + 2..n) |i| a[i * n + j] = 0;
        // Q = Q P.
        for (0..n) |r| {
            var dot: f64 = 0;
            for (j + 1..n) |i| dot += z[r * n + i].re * v[i];
            for (j + 1..n) |i| z[r * n + i].re -= beta * dot * v[i];
        }
    }
    for (h, a[0 .. n * n]) |*slot, value| slot.* = C.init(value, 0);
}

/// The QR algorithm on the Hessenberg `h` until it is upper triangular, accumulating the
/// unitary similarity transforms into `z`.
fn schur(h: []C, z: []C, n: usize) Error!void {
    if (n == 0) return;
    const eps = std.math.floatEps(f64);
    var norm: f64 = 0;
    for (h) |value| norm = @max(norm, magnitude(value));
    const iterations_max = iterations_per_deflation_factor * @max(10, n);
    var iterations_here: usize = 0;
    var hi: usize = n - 1;
    while (hi > 0) {
        // The start l of the bottom unreduced block: h[l][l-1] is negligible (or l is 0).
        // Negligible: small next to its diagonal neighbours, or next to the whole matrix
        // (a perturbation of eps * |H|, which keeps the result backward stable; without it
        // rounding noise at many scales below |H| can keep the iteration from converging).
        var l = hi;
        while (l > 0) : (l -= 1) {
            const sub = magnitude(h[l * n + l - 1]);
            const scale = magnitude(h[(l - 1) * n + l - 1]) + magnitude(h[l * n + l]);
            if (sub <= eps * scale or sub <= eps * norm or sub < std.math.floatMin(f64)) {
                h[l * n + l - 1] = C.init(0, 0);
                break;
            }
        }
        if (l == hi) {
            hi -= 1;
            iterations_here = 0;
            continue;
        }
        if (iterations_here == iterations_max) return error.NoConvergence;
        iterations_here += 1;
        const shift = if (iterations_here % 10 == 0)
            h[hi * n + hi].add(C.init(1.5 * magnitude(h[hi * n + hi - 1]), 0))
        else
            wilkinsonShift(h, n, hi);
        qrStep(h, z, n, l, hi, shift);
    }
}

/// The eigenvalue of the trailing 2 x 2 block of the active window closer to its last entry.
fn wilkinsonShift(h: []const C, n: usize, hi: usize) C {
    const a = h[(hi - 1) * n + hi - 1];
    const b = h[(hi - 1) * n + hi];
    const c = h[hi * n + hi - 1];
    const d = h[hi * n + hi];
    const p = a.sub(d).mul(C.init(0.5, 0));
    const bc = b.mul(c);
    const root = std.math.complex.sqrt(p.mul(p).add(bc));
    const plus = p.add(root);
    const minus = p.sub(root);
    const denominator = if (magnitude(plus) >= magnitude(minus)) plus else minus;
    if (magnitude(denominator) == 0) return d;
    return d.sub(divide(bc, denominator));
}

/// One implicit shifted QR step on rows/columns l..hi: a rotation from the shifted first
/// column, then rotations chasing the bulge down the subdiagonal.
fn qrStep(h: []C, z: []C, n: usize, l: usize, hi: usize, shift: C) void {
    var k = l;
    while (k < hi) : (k += 1) {
        const x = if (k == l) h[l * n + l].sub(shift) else h[k * n + k - 1];
        const y = if (k == l) h[(l + 1) * n + l] else h[(k + 1) * n + k - 1];
        const rotation = Givens.init(x, y);
        // Rows k, k+1 of h from the first nonzero column; columns k, k+1 of h and z.
        const first_column = if (k == l) l else k - 1;
        for (first_column..n) |column| {
            rotation.applyRows(&h[k * n + column], &h[(k + 1) * n + column]);
        }
        if (k > l) h[(k + 1) * n + k - 1] = C.init(0, 0);
        const last_row = @min(k + 2, hi);
        for (0..last_row + 1) |row| {
            rotation.applyColumns(&h[row * n + k], &h[row * n + k + 1]);
        }
        for (0..n) |row| rotation.applyColumns(&z[row * n + k], &z[row * n + k + 1]);
    }
}

/// |z| without overflow or underflow in the squares (std's `magnitude` squares directly).
fn magnitude(z: C) f64 {
    return std.math.hypot(z.re, z.im);
}

/// a / b by Smith's method: no intermediate |b|^2, which underflows for tiny b.
fn divide(a: C, b: C) C {
    if (@abs(b.re) >= @abs(b.im)) {
        const ratio = b.im / b.re;
        const denominator = b.re + b.im * ratio;
        return C.init((a.re + a.im * ratio) / denominator, (a.im - a.re * ratio) / denominator);
    }
    const ratio = b.re / b.im;
    const denominator = b.re * ratio + b.im;
    return C.init((a.re * ratio + a.im) / denominator, (a.im * ratio - a.re) / denominator);
}

fn divideReal(a: C, b: f64) C {
    return C.init(a.re / b, a.im / b);
}

/// G = [[c, s], [-conj(s), c]] (c real) with G [x; y] = [r; 0].
const Givens = struct {
    c: f64,
    s: C,

    fn init(x: C, y: C) Givens {
        const x_abs = magnitude(x);
        const r = std.math.hypot(x_abs, magnitude(y));
        if (r == 0) return .{ .c = 1, .s = C.init(0, 0) };
        if (x_abs == 0) return .{ .c = 0, .s = C.init(1, 0) };
        const phase = divideReal(x, x_abs);
        return .{ .c = x_abs / r, .s = divideReal(phase.mul(y.conjugate()), r) };
    }

    /// [p; q] = G [p; q].
    fn applyRows(self: Givens, p: *C, q: *C) void {
        const p0 = p.*;
        const q0 = q.*;
        p.* = p0.mul(C.init(self.c, 0)).add(self.s.mul(q0));
        q.* = q0.mul(C.init(self.c, 0)).sub(self.s.conjugate().mul(p0));
    }

    /// [p, q] = [p, q] G^H.
    fn applyColumns(self: Givens, p: *C, q: *C) void {
        const p0 = p.*;
        const q0 = q.*;
        p.* = p0.mul(C.init(self.c, 0)).add(self.s.conjugate().mul(q0));
        q.* = q0.mul(C.init(self.c, 0)).sub(self.s.mul(p0));
    }
};

/// Eigenvectors of the triangular `t` by back-substitution, mapped back by `z`, normalized,
/// into the columns of `out_pairs` (n x n complex, row-major, as real, imaginary pairs);
/// `x` is scratch of n.
fn eigenvectors(t: []const C, z: []const C, n: usize, x: []C, out_pairs: []f64) void {
    const eps = std.math.floatEps(f64);
    var norm: f64 = 0;
    for (t) |value| norm = @max(norm, magnitude(value));
    const small = @max(eps * norm, std.math.floatMin(f64));
    for (0..n) |k| {
        const lambda = t[k * n + k];
        @memset(x, C.init(0, 0));
        x[k] = C.init(1, 0);
        var i = k;
        while (i > 0) {
            i -= 1;
            var sum = C.init(0, 0);
            for (i + 1..k + 1) |j| sum = sum.add(t[i * n + j].mul(x[j]));
            var denominator = t[i * n + i].sub(lambda);
            if (magnitude(denominator) < small) denominator = C.init(small, 0);
            x[i] = divide(sum.neg(), denominator);
            const size = magnitude(x[i]);
            if (size > 1e100) {
                for (x[i .. k + 1]) |*value| value.* = value.mul(C.init(1 / size, 0));
            }
        }
        // column k = Z x, then unit norm with the largest component real positive.
        var total: f64 = 0;
        var largest: usize = 0;
        var largest_size: f64 = -1;
        for (0..n) |r| {
            var sum = C.init(0, 0);
            for (0..k + 1) |j| sum = sum.add(z[r * n + j].mul(x[j]));
            out_pairs[2 * (r * n + k)] = sum.re;
            out_pairs[2 * (r * n + k) + 1] = sum.im;
            const size = magnitude(sum);
            total += size * size;
            if (size > largest_size) {
                largest = r;
                largest_size = size;
            }
        }
        const pivot_index = 2 * (largest * n + k);
        const pivot = C.init(out_pairs[pivot_index], out_pairs[pivot_index + 1]);
        const scale = divideReal(divideReal(pivot.conjugate(), largest_size), @sqrt(total));
        for (0..n) |r| {
            const index = 2 * (r * n + k);
            const value = C.init(out_pairs[index], out_pairs[index + 1]).mul(scale);
            out_pairs[index] = value.re;
            out_pairs[index + 1] = value.im;
        }
    }
}

fn expectEigen(n: usize, values: []const f64) !void {
    var a: [64]f64 = undefined;
    @memcpy(a[0 .. n * n], values);
    var w: [16]f64 = undefined;
    var v: [128]f64 = undefined;
    var work: [512]f64 = undefined;
    try decompose(&a, n, &w, &v, &work);
    for (0..n) |k| {
        const lambda = C.init(w[2 * k], w[2 * k + 1]);
        for (0..n) |i| {
            var sum = C.init(0, 0);
            for (0..n) |j| {
                const vjk = C.init(v[2 * (j * n + k)], v[2 * (j * n + k) + 1]);
                sum = sum.add(C.init(values[i * n + j], 0).mul(vjk));
            }
            const want = lambda.mul(C.init(v[2 * (i * n + k)], v[2 * (i * n + k) + 1]));
            try std.testing.expectApproxEqAbs(want.re, sum.re, 1e-12);
            try std.testing.expectApproxEqAbs(want.im, sum.im, 1e-12);
        }
    }
}

test "hermitian input: sorted real eigenvalues, orthonormal eigenvectors" {
    // [[2, 1 - i], [1 + i, 3]]: eigenvalues 1 and 4.
    const a = [_]f64{ 2, 0, 1, -1, 1, 1, 3, 0 };
    var w: [4]f64 = undefined;
    var v: [8]f64 = undefined;
    var work: [32]f64 = undefined;
    try decomposeHermitian(&a, 2, &w, &v, &work);
    try std.testing.expectApproxEqAbs(@as(f64, 1), w[0], 1e-14);
    try std.testing.expectApproxEqAbs(@as(f64, 4), w[2], 1e-14);
    try std.testing.expectEqual(@as(f64, 0), w[1]);
    for (0..2) |k| {
        for (0..2) |i| {
            var sum = C.init(0, 0);
            for (0..2) |j| {
                const aij = C.init(a[2 * (i * 2 + j)], a[2 * (i * 2 + j) + 1]);
                sum = sum.add(aij.mul(C.init(v[2 * (j * 2 + k)], v[2 * (j * 2 + k) + 1])));
            }
            const vik = C.init(v[2 * (i * 2 + k)], v[2 * (i * 2 + k) + 1]);
            const want = vik.mul(C.init(w[2 * k], 0));
            try std.testing.expectApproxEqAbs(want.re, sum.re, 1e-13);
            try std.testing.expectApproxEqAbs(want.im, sum.im, 1e-13);
        }
    }
}

test "complex input: a Hermitian matrix has real eigenvalues and unit eigenvectors" {
    // [[2, 1 - i], [1 + i, 3]]: eigenvalues 1 and 4.
    const a = [_]f64{ 2, 0, 1, -1, 1, 1, 3, 0 };
    var w: [4]f64 = undefined;
    var v: [8]f64 = undefined;
    var work: [32]f64 = undefined;
    try decomposeComplex(&a, 2, &w, &v, &work);
    const low = @min(w[0], w[2]);
    const high = @max(w[0], w[2]);
    try std.testing.expectApproxEqAbs(@as(f64, 1), low, 1e-14);
    try std.testing.expectApproxEqAbs(@as(f64, 4), high, 1e-14);
    try std.testing.expectApproxEqAbs(@as(f64, 0), w[1], 1e-14);
    for (0..2) |k| {
        const lambda = C.init(w[2 * k], w[2 * k + 1]);
        for (0..2) |i| {
            var sum = C.init(0, 0);
            for (0..2) |j| {
                const aij = C.init(a[2 * (i * 2 + j)], a[2 * (i * 2 + j) + 1]);
                sum = sum.add(aij.mul(C.init(v[2 * (j * 2 + k)], v[2 * (j * 2 + k) + 1])));
            }
            const want = lambda.mul(C.init(v[2 * (i * 2 + k)], v[2 * (i * 2 + k) + 1]));
            try std.testing.expectApproxEqAbs(want.re, sum.re, 1e-13);
            try std.testing.expectApproxEqAbs(want.im, sum.im, 1e-13);
        }
    }
}

test "complex schur eigendecomposition: rotations, defective, diagonal and random" {
    try expectEigen(2, &.{ 0, -1, 1, 0 });
    try expectEigen(2, &.{ 1, 1, 0, 1 });
    try expectEigen(3, &.{ 2, 0, 0, 0, 2, 0, 0, 0, 2 });
    try expectEigen(4, &.{ 4, -2, 1, 3, 1, 0, 2, -1, 0, 3, -1, 2, 5, 1, 1, 0 });
    try expectEigen(1, &.{7});
    try expectEigen(3, &.{ 0, 0, 0, 0, 0, 0, 0, 0, 0 });
    try expectEigen(3, &.{ 0, 1, 0, 0, 0, 1, 0, 0, 0 });
    var a = [_]f64{ 0, -1, 1, 0 };
    var w: [4]f64 = undefined;
    var work: [32]f64 = undefined;
    try decompose(&a, 2, &w, null, &work);
    try std.testing.expectApproxEqAbs(@as(f64, 1), @abs(w[1]), 1e-15);
    try std.testing.expectApproxEqAbs(@as(f64, 0), w[0], 1e-15);
}
