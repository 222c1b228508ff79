//! Householder QR of one matrix in float64 (the decompositions compute in float64 whatever the
//! stored dtype). `factor` reduces A (m x n) to R with reflectors H_j = I - beta_j v_j v_j^T,
//! j < k = min(m, n); `formQ` multiplies them out into the first columns of Q = H_0 ... H_{k-1}.
//! The SVD reuses `formQ` to complete a set of orthonormal columns to a square basis.

const std = @import("std");
const assert = std.debug.assert;

/// Reduces `a` (m x n, row-major) in place to R: on return its upper triangle (first k rows)
/// is R and everything below the diagonal is exactly zero. Reflector j is stored in row j of
/// `vectors` (k x m, zero above index j) with its scale in `betas[j]` (0 for the identity).
/// `row` is scratch of n elements.
pub fn factor(a: []f64, m: usize, n: usize, vectors: []f64, betas: []f64, row: []f64) void {
    const k = @min(m, n);
    assert(a.len >= m * n);
    assert(vectors.len >= k * m and betas.len >= k and row.len >= n);
    for (0..k) |j| {
        const v = vectors[j * m ..][0..m];
        @memset(v, 0);
        for (j..m) |i| v[i] = a[i * n + j];
        const reflector = makeReflector(v[j..m]);
        betas[j] = reflector.beta;
        if (reflector.beta == 0) continue;
        applyLeft(a, m, n, j, j, v, reflector.beta, row);
        a[j * n + j] = reflector.alpha;
        for (j + 1..m) |i| a[i * n + j] = 0;
    }
}

pub const Reflector = struct {
    /// The scale of v v^T; 0 when H is the identity.
    beta: f64,
    /// The first entry of H x (the others are zero).
    alpha: f64,
};

/// Turns `x` in place into the vector v of the reflector H = I - beta v v^T with
/// H x = alpha e_0. v is scaled so that its largest entry is about 1, so beta neither
/// overflows nor underflows for tiny or huge x. When x is already a multiple of e_0 (the
/// rest exactly zero), H is the identity (beta = 0; LAPACK's choice: the sign is kept).
pub fn makeReflector(x: []f64) Reflector {
    assert(x.len > 0);
    var largest: f64 = 0;
    for (x[1..]) |value| largest = @max(largest, @abs(value));
    if (largest == 0) return .{ .beta = 0, .alpha = x[0] };
    largest = @max(largest, @abs(x[0]));
    var sum_squares: f64 = 0;
    for (x) |*value| {
        value.* /= largest;
        sum_squares += value.* * value.*;
    }
    const sigma = @sqrt(sum_squares);
    const alpha = if (x[0] >= 0) -sigma else sigma;
    const beta = 1.0 / (sigma * (sigma + @abs(x[0])));
    x[0] -= alpha;
    return .{ .beta = beta, .alpha = alpha * largest };
}

/// `x[first_row.., first_column..] = (I - beta v v^T) x[...]` for the m x columns matrix `x`
/// (row-major); `v` is zero before `first_row`. `row` is scratch of `columns` elements.
fn applyLeft(
    x: []f64,
    m: usize,
    columns: usize,
    first_row: usize,
    first_column: usize,
    v: []const f64,
    beta: f64,
    row: []f64,
) void {
    if (beta == 0 or first_column >= columns) return;
    const w = row[first_column..columns];
    @memset(w, 0);
    for (first_row..m) |i| {
        const x_row = x[i * columns ..][first_column..columns];
        for (w, x_row) |*wc, xc| wc.* += v[i] * xc;
    }
    for (first_row..m) |i| {
        const scale = beta * v[i];
        if (scale == 0) continue;
        const x_row = x[i * columns ..][first_column..columns];
        for (x_row, w) |*xc, wc| xc.* -= scale * wc;
    }
}

/// Writes into `q` (m x columns, row-major, columns <= m) the first `columns` columns of
/// H_0 ... H_{k-1} from `factor`. `row` is scratch of `columns` elements.
pub fn formQ(
    vectors: []const f64,
    betas: []const f64,
    m: usize,
    k: usize,
    q: []f64,
    columns: usize,
    row: []f64,
) void {
    assert(columns <= m and k <= m);
    assert(q.len >= m * columns and row.len >= columns);
    @memset(q[0 .. m * columns], 0);
    for (0..columns) |j| q[j * columns + j] = 1;
    var j = k;
    while (j > 0) {
        j -= 1;
        applyLeft(q, m, columns, j, 0, vectors[j * m ..][0..m], betas[j], row);
    }
}

fn expectQr(m: usize, n: usize, values: []const f64) !void {
    const k = @min(m, n);
    var a: [64]f64 = undefined;
    @memcpy(a[0 .. m * n], values);
    var vectors: [64]f64 = undefined;
    var betas: [8]f64 = undefined;
    var row: [8]f64 = undefined;
    factor(&a, m, n, &vectors, &betas, &row);
    var q: [64]f64 = undefined;
    formQ(&vectors, &betas, m, k, &q, k, &row);
    for (0..m) |i| {
        for (0..n) |j| {
            var sum: f64 = 0;
            for (0..k) |l| sum += q[i * k + l] * a[l * n + j];
            try std.testing.expectApproxEqAbs(values[i * n + j], sum, 1e-12);
            if (i > j and i < k) try std.testing.expectEqual(@as(f64, 0), a[i * n + j]);
        }
    }
    for (0..k) |c1| {
        for (0..k) |c2| {
            var dot: f64 = 0;
            for (0..m) |i| dot += q[i * k + c1] * q[i * k + c2];
            const want: f64 = if (c1 == c2) 1 else 0;
            try std.testing.expectApproxEqAbs(want, dot, 1e-12);
        }
    }
}

test "householder QR reconstructs tall, wide and rank-deficient matrices" {
    try expectQr(3, 2, &.{ 1, 2, 3, 4, 5, 6 });
    try expectQr(2, 3, &.{ 1, 2, 3, 4, 5, 6 });
    try expectQr(3, 3, &.{ 1, 2, 3, 2, 4, 6, 0, 0, 1 });
    try expectQr(2, 2, &.{ 0, 0, 0, 0 });
    try expectQr(1, 1, &.{-3});
    try expectQr(3, 2, &.{ 1, 1e-160, 1e-170, 1e-165, 1e-200, 1e-161 });
}
