//! Cholesky factorization (LAPACK potrf's role) in place on row-major n x n matrices:
//! row by row (Cholesky-Banachiewicz), L[i, j] = (A[i, j] - L[i, :j] . L[j, :j]) / L[j, j]
//! with contiguous `@Vector` dot products. Only the lower triangle of A is read (for
//! `upper`, the matrix is transposed first and the factor transposed back, so the upper
//! triangle is read and U = L^T is returned); the other triangle of the result is zero. A
//! matrix that is not positive definite fails with info = the order of the first leading
//! minor that is not positive, minus one.

const std = @import("std");
const assert = std.debug.assert;
const row_ops = @import("row_ops.zig");
const matrix_batch = @import("matrix_batch.zig");

pub fn Factorization(comptime T: type) type {
    return struct {
        source: matrix_batch.Source(T),
        out: [*]T,
        n: usize,
        upper: bool,

        pub fn scratchBytes(_: *const @This()) usize {
            return 64;
        }

        pub fn solve(
            self: *const @This(),
            index: usize,
            scratch: []align(64) u8,
            threaded: bool,
        ) ?usize {
            _ = scratch;
            _ = threaded;
            const n = self.n;
            const x = self.out[index * n * n ..][0 .. n * n];
            self.source.load(index, x, n, n);
            if (self.upper) row_ops.transposeSquare(T, x, n);
            if (factorLower(T, x, n)) |step| return step;
            if (self.upper) row_ops.transposeSquare(T, x, n);
            return null;
        }
    };
}

/// Replaces the lower triangle of x with L (A = L L^T) and zeroes the upper triangle.
/// Returns the first row whose diagonal is not positive (or NaN), or null.
pub fn factorLower(comptime T: type, x: []T, n: usize) ?usize {
    assert(x.len == n * n);
    for (0..n) |i| {
        const row = x[i * n ..][0..n];
        for (0..i) |j| {
            const earlier = x[j * n ..][0..j];
            row[j] = (row[j] - row_ops.dot(T, row[0..j], earlier)) / x[j * n + j];
        }
        const diagonal = row[i] - row_ops.dot(T, row[0..i], row[0..i]);
        if (!(diagonal > 0)) return i;
        row[i] = @sqrt(diagonal);
        @memset(row[i + 1 ..], 0);
    }
    return null;
}

test "cholesky of a 3x3 matrix and a failure" {
    var a = [_]f64{ 4, 99, 99, 2, 10, 99, 2, 1, 6 };
    try std.testing.expectEqual(@as(?usize, null), factorLower(f64, &a, 3));
    const want = [_]f64{ 2, 0, 0, 1, 3, 0, 1, 0, 2.2360679774997896 };
    for (want, a) |w, got| try std.testing.expectApproxEqAbs(w, got, 1e-15);
    var b = [_]f32{ 1, 2, 2, 1 };
    try std.testing.expectEqual(@as(?usize, 1), factorLower(f32, &b, 2));
}
