//! Symmetric eigendecomposition of one matrix in float64: Householder reduction to
//! tridiagonal form T = Q^T A Q, then the implicit symmetric QR algorithm on T (Wilkinson
//! shifts, Givens rotations chasing the bulge down the band) until the off-diagonal is
//! negligible; the rotations accumulate into Q, whose columns are then the eigenvectors.
//! Q is kept transposed (its columns as rows) so every update runs along contiguous rows.

const std = @import("std");
const assert = std.debug.assert;
const householder = @import("householder.zig");

/// QR iterations allowed for each deflation are this many times max(10, n) (LAPACK's bound).
pub const iterations_per_deflation_factor = 30;

pub const Error = error{NoConvergence};

/// float64 scratch elements `decompose` needs for an n x n matrix.
pub fn workspaceLen(n: usize) usize {
    return 3 * n;
}

/// Eigenvalues of the symmetric `a` (n x n, row-major, both triangles set; destroyed) into
/// `values`, ascending; with `vectors` (n x n, row-major), the orthonormal eigenvectors as
/// its columns, in the same order. Non-finite input gives NaN everywhere.
pub fn decompose(a: []f64, n: usize, values: []f64, vectors: ?[]f64, work: []f64) Error!void {
    assert(a.len >= n * n and values.len >= n and work.len >= workspaceLen(n));
    var finite = true;
    for (a[0 .. n * n]) |x| finite = finite and std.math.isFinite(x);
    if (!finite) {
        @memset(values[0..n], std.math.nan(f64));
        if (vectors) |v| @memset(v[0 .. n * n], std.math.nan(f64));
        return;
    }
    // qt: Q transposed (row k is column k of Q), built in the output buffer.
    const qt: ?[]f64 = if (vectors) |v| v[0 .. n * n] else null;
    if (qt) |q| {
        @memset(q, 0);
        for (0..n) |i| q[i * n + i] = 1;
    }
    tridiagonalize(a, n, qt, work[0..n], work[n..][0..n], work[2 * n ..][0..n]);
    try diagonalize(a, n, qt);
    for (0..n) |i| values[i] = a[i * n + i];
    sortAscending(values[0..n], n, qt);
    if (qt) |q| transposeInPlace(q, n);
}

/// Reduces `a` to tridiagonal form with Householder reflections P_k (A = P A P on the
/// trailing block), applying each to the rows of `qt`. `v`, `p`, `w` are scratch of n.
fn tridiagonalize(a: []f64, n: usize, qt: ?[]f64, v: []f64, p: []f64, w: []f64) void {
    var k: usize = 0;
    while (k + 2 < n) : (k += 1) {
        const first = k + 1;
        const size = n - first;
        const x = v[0..size];
        @memcpy(x, a[k * n + first ..][0..size]); // Row k = column k (symmetric).
        const reflector = householder.makeReflector(x);
        if (reflector.beta == 0) continue;
        const beta = reflector.beta;
        // p = beta B x, B the trailing block; w = p - (beta / 2) (x . p) x.
        var x_dot_p: f64 = 0;
        for (0..size) |i| {
            const row = a[(first + i) * n + first ..][0..size];
            var sum: f64 = 0;
            for (row, x) |b, xi| sum += b * xi;
            p[i] = beta * sum;
            x_dot_p += x[i] * p[i];
        }
        const half = 0.5 * beta * x_dot_p;
        for (0..size) |i| w[i] = p[i] - half * x[i];
        // B = B - x w^T - w x^T.
        for (0..size) |i| {
            const row = a[(first + i) * n + first ..][0..size];
            for (row, x, w[0..size]) |*b, xj, wj| b.* -= x[i] * wj + w[i] * xj;
        }
        a[k * n + first] = reflector.alpha;
        a[first * n + k] = reflector.alpha;
        for (first + 1..n) |i| {
            a[k * n + i] = 0;
            a[i * n + k] = 0;
        }
        // Qt = P Qt on rows first.. (P symmetric).
        const q = qt orelse continue;
        const column_sums = p[0..n];
        @memset(column_sums, 0);
        for (0..size) |i| {
            const row = q[(first + i) * n ..][0..n];
            for (column_sums, row) |*sum, value| sum.* += x[i] * value;
        }
        for (0..size) |i| {
            const row = q[(first + i) * n ..][0..n];
            const scale = beta * x[i];
            for (row, column_sums) |*value, sum| value.* -= scale * sum;
        }
    }
}

/// The implicit symmetric QR algorithm on the tridiagonal `a` until it is diagonal.
fn diagonalize(a: []f64, n: usize, qt: ?[]f64) Error!void {
    if (n < 2) return;
    const eps = std.math.floatEps(f64);
    var norm: f64 = 0;
    for (0..n) |i| {
        norm = @max(norm, @abs(a[i * n + i]));
        if (i > 0) norm = @max(norm, @abs(a[i * n + i - 1]));
    }
    const iterations_max = iterations_per_deflation_factor * @max(10, n);
    var iterations: usize = 0;
    var hi: usize = n - 1;
    while (hi > 0) {
        // Negligible off-diagonal entries become zero; l starts the bottom unreduced block.
        var l = hi;
        while (l > 0) : (l -= 1) {
            const off = @abs(a[l * n + l - 1]);
            const scale = @abs(a[(l - 1) * n + l - 1]) + @abs(a[l * n + l]);
            if (off <= eps * scale or off <= eps * norm) {
                a[l * n + l - 1] = 0;
                a[(l - 1) * n + l] = 0;
                break;
            }
        }
        if (l == hi) {
            hi -= 1;
            iterations = 0;
            continue;
        }
        if (iterations == iterations_max) return error.NoConvergence;
        iterations += 1;
        qrStep(a, n, l, hi, wilkinsonShift(a, n, hi), qt);
    }
}

/// The eigenvalue of the trailing 2 x 2 block of the window closer to its last entry.
fn wilkinsonShift(a: []const f64, n: usize, hi: usize) f64 {
    const d = a[hi * n + hi];
    const e = a[hi * n + hi - 1];
    const half_gap = (a[(hi - 1) * n + hi - 1] - d) / 2;
    if (e == 0) return d;
    const sign: f64 = if (half_gap >= 0) 1 else -1;
    return d - e * (e / (half_gap + sign * std.math.hypot(half_gap, e)));
}

/// One implicit QR step on rows/columns l..hi: a rotation from the shifted first column,
/// then rotations pushing the bulge below the subdiagonal down and out.
fn qrStep(a: []f64, n: usize, l: usize, hi: usize, shift: f64, qt: ?[]f64) void {
    var x = a[l * n + l] - shift;
    var z = a[(l + 1) * n + l];
    var k = l;
    while (k < hi) : (k += 1) {
        const r = std.math.hypot(x, z);
        const c = if (r == 0) 1 else x / r;
        const s = if (r == 0) 0 else -z / r;
        // A = J^T A J within the band (rows and columns k-1 .. k+2 of the window).
        const low = if (k > l) k - 1 else l;
        const high = @min(k + 2, hi);
        for (low..high + 1) |i| {
            const aik = a[i * n + k];
            const aik1 = a[i * n + k + 1];
            a[i * n + k] = c * aik - s * aik1;
            a[i * n + k + 1] = s * aik + c * aik1;
        }
        for (low..high + 1) |j| {
            const akj = a[k * n + j];
            const ak1j = a[(k + 1) * n + j];
            a[k * n + j] = c * akj - s * ak1j;
            a[(k + 1) * n + j] = s * akj + c * ak1j;
        }
        if (k > l) {
            a[(k + 1) * n + k - 1] = 0;
            a[(k - 1) * n + k + 1] = 0;
        }
        if (qt) |q| {
            const row_k = q[k * n ..][0..n];
            const row_k1 = q[(k + 1) * n ..][0..n];
            for (row_k, row_k1) |*u, *w| {
                const u_old = u.*;
                const w_old = w.*;
                u.* = c * u_old - s * w_old;
                w.* = s * u_old + c * w_old;
            }
        }
        if (k + 1 < hi) {
            x = a[(k + 1) * n + k];
            z = a[(k + 2) * n + k];
        }
    }
}

/// Selection sort of the values, moving the matching rows of `qt` along.
fn sortAscending(values: []f64, n: usize, qt: ?[]f64) void {
    for (0..n) |i| {
        var smallest = i;
        for (i + 1..n) |j| {
            if (values[j] < values[smallest]) smallest = j;
        }
        if (smallest == i) continue;
        std.mem.swap(f64, &values[i], &values[smallest]);
        if (qt) |q| {
            for (q[i * n ..][0..n], q[smallest * n ..][0..n]) |*x, *y| std.mem.swap(f64, x, y);
        }
    }
}

fn transposeInPlace(x: []f64, n: usize) void {
    for (0..n) |i| {
        for (i + 1..n) |j| std.mem.swap(f64, &x[i * n + j], &x[j * n + i]);
    }
}

fn expectEigh(comptime n: usize, original: [n * n]f64, want: ?[n]f64) !void {
    var a = original;
    var values: [n]f64 = undefined;
    var vectors: [n * n]f64 = undefined;
    var work: [3 * n]f64 = undefined;
    try decompose(&a, n, &values, &vectors, &work);
    if (want) |expected| {
        for (expected, values) |e, v| try std.testing.expectApproxEqAbs(e, v, 1e-13);
    }
    for (1..n) |i| try std.testing.expect(values[i - 1] <= values[i]);
    for (0..n) |column| {
        for (0..n) |i| {
            var product: f64 = 0;
            for (0..n) |k| product += original[i * n + k] * vectors[k * n + column];
            const expected = values[column] * vectors[i * n + column];
            try std.testing.expectApproxEqAbs(expected, product, 1e-12);
        }
        for (0..n) |other| {
            var dot: f64 = 0;
            for (0..n) |k| dot += vectors[k * n + column] * vectors[k * n + other];
            try std.testing.expectApproxEqAbs(@as(f64, if (other == column) 1 else 0), dot, 1e-13);
        }
    }
}

test "symmetric eigendecomposition: repeated, diagonal, zero and dense matrices" {
    try expectEigh(3, .{ 2, 1, 1, 1, 2, 1, 1, 1, 2 }, .{ 1, 1, 4 });
    try expectEigh(1, .{-5}, .{-5});
    try expectEigh(2, .{ 0, 0, 0, 0 }, .{ 0, 0 });
    try expectEigh(3, .{ 3, 0, 0, 0, -1, 0, 0, 0, 2 }, .{ -1, 2, 3 });
    try expectEigh(2, .{ 0, 1, 1, 0 }, .{ -1, 1 });
    var dense: [36]f64 = undefined;
    for (0..6) |i| {
        for (0..6) |j| dense[i * 6 + j] = @floatFromInt((i * 7 + j * 7 + i * j) % 11);
    }
    try expectEigh(6, dense, null);
    const ones: [64]f64 = @splat(1);
    try expectEigh(8, ones, .{ 0, 0, 0, 0, 0, 0, 0, 8 });
}
