//! Singular value decomposition of one matrix in float64 by one-sided Jacobi (Hestenes):
//! plane rotations applied to pairs of columns of B (A, or A^T when A is wide, so B is tall)
//! until every pair is orthogonal to working precision; the column norms are then the
//! singular values, the normalized columns the left singular vectors and the accumulated
//! rotations the right ones. Accurate for small singular values too. The left vectors of zero
//! singular values, and the rest of a square U, come from completing the computed columns to
//! an orthonormal basis with Householder reflections (householder.zig).

const std = @import("std");
const assert = std.debug.assert;
const householder = @import("householder.zig");

/// Sweeps before giving up (well-scaled inputs converge in under 20).
pub const sweeps_max = 100;

pub const Error = error{NoConvergence};

/// Where `decompose` writes U (m x m) and V^T (n x n), row-major.
pub const Vectors = struct { u: []f64, vt: []f64 };

/// float64 scratch elements `decompose` needs for an m x n matrix (with or without the
/// singular vectors).
pub fn workspaceLen(m: usize, n: usize, with_vectors: bool) usize {
    const p = @max(m, n);
    const q = @min(m, n);
    // b; the rotations, the full basis, then for the completion: the thin columns,
    // reflectors, betas, a scratch row; last the unsorted norms.
    const for_vectors = q * q + p * p + 2 * p * q + q + p;
    return p * q + (if (with_vectors) for_vectors else 0) + q;
}

/// The singular values of `a` (m x n, row-major) into `s` (min(m, n), descending); with `u`
/// and `vt`, U (m x m) and V^T (n x n), row-major, so that A = U[:, :k] diag(s) V^T[:k, :].
/// `order` is scratch of min(m, n) indices. Non-finite input gives NaN everywhere.
pub fn decompose(
    a: []const f64,
    m: usize,
    n: usize,
    s: []f64,
    vectors: ?Vectors,
    work: []f64,
    order: []usize,
) Error!void {
    const p = @max(m, n);
    const q = @min(m, n);
    assert(a.len >= m * n and s.len >= q and order.len >= q);
    const work_len = workspaceLen(m, n, vectors != null);
    assert(work.len >= work_len);
    var finite = true;
    for (a[0 .. m * n]) |x| finite = finite and std.math.isFinite(x);
    if (!finite) {
        @memset(s[0..q], std.math.nan(f64));
        if (vectors) |uv| {
            @memset(uv.u[0 .. m * m], std.math.nan(f64));
            @memset(uv.vt[0 .. n * n], std.math.nan(f64));
        }
        return;
    }
    // b: column j of B at b[j * p ..]; B = A when tall, A^T when wide.
    const b = work[0 .. p * q];
    for (0..q) |j| {
        for (0..p) |i| b[j * p + i] = if (m >= n) a[i * n + j] else a[j * n + i];
    }
    const v: ?[]f64 = if (vectors != null) work[p * q ..][0 .. q * q] else null;
    if (v) |rotations| {
        @memset(rotations, 0);
        for (0..q) |j| rotations[j * q + j] = 1;
    }
    // Columns below this norm are numerically zero (rounding noise of the others'
    // rotations): they are left alone, and their left vectors come from the completion.
    const negligible_norm = @sqrt(@as(f64, @floatFromInt(p))) * std.math.floatEps(f64) * norm(b);
    try orthogonalizeColumns(b, p, q, v, negligible_norm * negligible_norm);
    for (0..q) |j| {
        s[j] = norm(b[j * p ..][0..p]);
        order[j] = j;
    }
    std.mem.sort(usize, order[0..q], s[0..q], struct {
        fn greater(norms: []f64, x: usize, y: usize) bool {
            return norms[x] > norms[y];
        }
    }.greater);
    const norms = work[work_len - q ..][0..q];
    @memcpy(norms, s[0..q]);
    for (0..q) |j| s[j] = norms[order[j]];
    const uv = vectors orelse return;
    const basis = work[p * q + q * q ..][0 .. p * p];
    const scratch = work[p * q + q * q + p * p ..];
    completeBasis(b, p, q, s, order, negligible_norm, basis, scratch);
    // basis: p x p row-major, the left vectors of B in order; v: the right vectors of B.
    const rotations = v.?;
    if (m >= n) {
        @memcpy(uv.u[0 .. p * p], basis);
        for (0..q) |i| @memcpy(uv.vt[i * q ..][0..q], rotations[order[i] * q ..][0..q]);
    } else {
        for (0..q) |r| {
            for (0..q) |c| uv.u[r * q + c] = rotations[order[c] * q + r];
        }
        for (0..p) |r| {
            for (0..p) |c| uv.vt[r * p + c] = basis[c * p + r];
        }
    }
}

fn norm(x: []const f64) f64 {
    var sum: f64 = 0;
    for (x) |value| sum += value * value;
    return @sqrt(sum);
}

/// Rotates pairs of columns of `b` (q columns of length p) until all are orthogonal, except
/// columns whose squared norm is at most `negligible_squares`; the same rotations accumulate
/// into the columns of `v` (q x q, column j at v[j * q ..]).
fn orthogonalizeColumns(
    b: []f64,
    p: usize,
    q: usize,
    v: ?[]f64,
    negligible_squares: f64,
) Error!void {
    const eps = std.math.floatEps(f64);
    var sweep: usize = 0;
    while (true) : (sweep += 1) {
        if (sweep == sweeps_max) return error.NoConvergence;
        var rotated = false;
        for (0..q) |i| {
            for (i + 1..q) |j| {
                const x = b[i * p ..][0..p];
                const y = b[j * p ..][0..p];
                var alpha: f64 = 0;
                var beta: f64 = 0;
                var gamma: f64 = 0;
                for (x, y) |xi, yi| {
                    alpha += xi * xi;
                    beta += yi * yi;
                    gamma += xi * yi;
                }
                if (@abs(gamma) <= eps * @sqrt(alpha * beta) or gamma == 0) continue;
                if (alpha <= negligible_squares or beta <= negligible_squares) continue;
                rotated = true;
                const zeta = (beta - alpha) / (2 * gamma);
                const t = std.math.sign(zeta + @as(f64, if (zeta == 0) 1 else 0)) /
                    (@abs(zeta) + @sqrt(1 + zeta * zeta));
                const c = 1 / @sqrt(1 + t * t);
                const s = c * t;
                rotatePair(x, y, c, s);
                if (v) |r| rotatePair(r[i * q ..][0..q], r[j * q ..][0..q], c, s);
            }
        }
        if (!rotated) return;
    }
}

fn rotatePair(x: []f64, y: []f64, c: f64, s: f64) void {
    for (x, y) |*xi, *yi| {
        const x0 = xi.*;
        const y0 = yi.*;
        xi.* = c * x0 - s * y0;
        yi.* = s * x0 + c * y0;
    }
}

/// Fills `basis` (p x p, row-major) with the normalized columns of `b` for the singular
/// values (in `order`) above `negligible_norm`, then an orthonormal completion: the trailing
/// columns of the Q of a Householder QR of those columns.
fn completeBasis(
    b: []const f64,
    p: usize,
    q: usize,
    s: []const f64,
    order: []const usize,
    negligible_norm: f64,
    basis: []f64,
    scratch: []f64,
) void {
    var rank: usize = 0;
    while (rank < q and s[rank] > negligible_norm and s[rank] >= std.math.floatMin(f64)) {
        rank += 1;
    }
    // thin: p x rank, row-major, the normalized columns.
    const thin = scratch[0 .. p * q];
    for (0..rank) |c| {
        const column = b[order[c] * p ..][0..p];
        for (0..p) |r| thin[r * rank + c] = column[r] / s[c];
    }
    if (rank < p) {
        const vectors = scratch[p * q ..][0 .. q * p];
        const betas = scratch[2 * p * q ..][0..q];
        const row = scratch[2 * p * q + q ..][0..p];
        householder.factor(thin, p, rank, vectors, betas, row);
        householder.formQ(vectors, betas, p, rank, basis, p, row);
    }
    // factor overwrote `thin`; the first `rank` columns are the normalized columns themselves.
    for (0..rank) |c| {
        const column = b[order[c] * p ..][0..p];
        for (0..p) |r| basis[r * p + c] = column[r] / s[c];
    }
}

fn expectSvd(m: usize, n: usize, values: []const f64) !void {
    const k = @min(m, n);
    var work: [256]f64 = undefined;
    var order: [8]usize = undefined;
    var s: [8]f64 = undefined;
    var u: [64]f64 = undefined;
    var vt: [64]f64 = undefined;
    try decompose(values, m, n, &s, .{ .u = &u, .vt = &vt }, &work, &order);
    for (1..k) |i| try std.testing.expect(s[i - 1] >= s[i]);
    for (0..m) |i| {
        for (0..n) |j| {
            var sum: f64 = 0;
            for (0..k) |l| sum += u[i * m + l] * s[l] * vt[l * n + j];
            try std.testing.expectApproxEqAbs(values[i * n + j], sum, 1e-12);
        }
    }
    for ([_]struct { []const f64, usize }{ .{ &u, m }, .{ &vt, n } }) |entry| {
        const x, const size = entry;
        for (0..size) |r1| {
            for (0..size) |r2| {
                var dot: f64 = 0;
                for (0..size) |c| dot += x[r1 * size + c] * x[r2 * size + c];
                try std.testing.expectApproxEqAbs(@as(f64, if (r1 == r2) 1 else 0), dot, 1e-12);
            }
        }
    }
}

test "one-sided jacobi SVD of tall, wide and rank-deficient matrices" {
    try expectSvd(3, 2, &.{ 1, 2, 3, 4, 5, 6 });
    try expectSvd(2, 3, &.{ 1, 2, 3, 4, 5, 6 });
    try expectSvd(3, 3, &.{ 1, 2, 3, 2, 4, 6, 1, 2, 3 });
    try expectSvd(2, 2, &.{ 0, 0, 0, 0 });
    try expectSvd(4, 1, &.{ 0, 3, 0, 4 });
    try expectSvd(1, 1, &.{-2});
    try expectSvd(5, 5, &(.{1} ** 25));
    try expectSvd(3, 4, &(.{0.1} ** 12));
}
