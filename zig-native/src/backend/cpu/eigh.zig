//! Symmetric eigendecomposition of one matrix in float64 by the cyclic Jacobi method: plane
//! rotations zero the off-diagonal entries one pair at a time, sweep after sweep, until they
//! are negligible next to the matrix's norm (convergence is quadratic; a few sweeps suffice).
//! Jacobi is slower than tridiagonalisation + QL for large n but simple and accurate to
//! working precision, small eigenvalues included.

const std = @import("std");
const assert = std.debug.assert;

/// Sweeps before giving up (well-scaled inputs converge in under 15).
pub const sweeps_max = 100;

pub const Error = error{NoConvergence};

/// Eigenvalues of the symmetric `a` (n x n, row-major, destroyed) into `values`, ascending;
/// with `vectors` (n x n, row-major), the orthonormal eigenvectors as its columns, in the
/// same order. Non-finite input gives NaN everywhere.
pub fn decompose(a: []f64, n: usize, values: []f64, vectors: ?[]f64) Error!void {
    assert(a.len >= n * n and values.len >= n);
    if (vectors) |v| {
        assert(v.len >= n * n);
        @memset(v[0 .. n * n], 0);
        for (0..n) |i| v[i * n + i] = 1;
    }
    var finite = true;
    for (a[0 .. n * n]) |x| finite = finite and std.math.isFinite(x);
    if (!finite) {
        @memset(values[0..n], std.math.nan(f64));
        if (vectors) |v| @memset(v[0 .. n * n], std.math.nan(f64));
        return;
    }
    var sweep: usize = 0;
    while (!converged(a, n)) : (sweep += 1) {
        if (sweep == sweeps_max) return error.NoConvergence;
        for (0..n) |p| {
            for (p + 1..n) |q| rotate(a, n, p, q, vectors);
        }
    }
    for (0..n) |i| values[i] = a[i * n + i];
    sortAscending(values[0..n], n, vectors);
}

/// Whether the off-diagonal part is negligible: below the float64 epsilon times the norm.
fn converged(a: []const f64, n: usize) bool {
    var off: f64 = 0;
    var diagonal: f64 = 0;
    for (0..n) |i| {
        for (0..n) |j| {
            const x = a[i * n + j];
            if (i == j) diagonal += x * x else off += x * x;
        }
    }
    const eps = std.math.floatEps(f64);
    return off <= eps * eps * (off + diagonal) or off == 0;
}

/// Applies the rotation in plane (p, q) that zeroes a[p][q] (A = J^T A J, V = V J).
fn rotate(a: []f64, n: usize, p: usize, q: usize, vectors: ?[]f64) void {
    const apq = a[p * n + q];
    if (apq == 0) return;
    const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
    const t = std.math.sign(theta + @as(f64, if (theta == 0) 1 else 0)) /
        (@abs(theta) + @sqrt(theta * theta + 1));
    const c = 1 / @sqrt(t * t + 1);
    const s = t * c;
    for (0..n) |k| {
        const akp = a[k * n + p];
        const akq = a[k * n + q];
        a[k * n + p] = c * akp - s * akq;
        a[k * n + q] = s * akp + c * akq;
    }
    for (0..n) |k| {
        const apk = a[p * n + k];
        const aqk = a[q * n + k];
        a[p * n + k] = c * apk - s * aqk;
        a[q * n + k] = s * apk + c * aqk;
    }
    a[p * n + q] = 0;
    a[q * n + p] = 0;
    if (vectors) |v| {
        for (0..n) |k| {
            const vkp = v[k * n + p];
            const vkq = v[k * n + q];
            v[k * n + p] = c * vkp - s * vkq;
            v[k * n + q] = s * vkp + c * vkq;
        }
    }
}

/// Selection sort of the values, moving the matching columns of `vectors` along.
fn sortAscending(values: []f64, n: usize, vectors: ?[]f64) void {
    for (0..n) |i| {
        var smallest = i;
        for (i + 1..n) |j| {
            if (values[j] < values[smallest]) smallest = j;
        }
        if (smallest == i) continue;
        std.mem.swap(f64, &values[i], &values[smallest]);
        if (vectors) |v| {
            for (0..n) |k| std.mem.swap(f64, &v[k * n + i], &v[k * n + smallest]);
        }
    }
}

test "jacobi eigendecomposition of a symmetric matrix with a repeated eigenvalue" {
    // Eigenvalues 1, 1, 4 (J - I scaled): [[2,1,1],[1,2,1],[1,1,2]].
    const original = [_]f64{ 2, 1, 1, 1, 2, 1, 1, 1, 2 };
    var a = original;
    var values: [3]f64 = undefined;
    var vectors: [9]f64 = undefined;
    try decompose(&a, 3, &values, &vectors);
    try std.testing.expectApproxEqAbs(@as(f64, 1), values[0], 1e-14);
    try std.testing.expectApproxEqAbs(@as(f64, 1), values[1], 1e-14);
    try std.testing.expectApproxEqAbs(@as(f64, 4), values[2], 1e-14);
    for (0..3) |column| {
        for (0..3) |i| {
            var product: f64 = 0;
            for (0..3) |k| product += original[i * 3 + k] * vectors[k * 3 + column];
            const want = values[column] * vectors[i * 3 + column];
            try std.testing.expectApproxEqAbs(want, product, 1e-13);
        }
    }
    var one = [_]f64{-5};
    var value: [1]f64 = undefined;
    try decompose(&one, 1, &value, null);
    try std.testing.expectEqual(@as(f64, -5), value[0]);
}
