//! The inverse of triangular matrices (LAPACK trtri's role), in place on row-major n x n
//! matrices: only the named triangle of the input is read, the other triangle of the result
//! is zero. Upper: rows of X = U^-1 from the last up, X[i] = (e_i - sum_{j>i} U[i, j] X[j]) /
//! U[i, i], each a contiguous row update (`@Vector`) over the columns right of i. Lower
//! mirrors it. A zero diagonal element fails the matrix with info = its index.

const std = @import("std");
const assert = std.debug.assert;
const row_ops = @import("row_ops.zig");
const matrix_batch = @import("matrix_batch.zig");

pub fn Inverse(comptime T: type) type {
    return struct {
        source: matrix_batch.Source(T),
        out: [*]T,
        n: usize,
        upper: bool,

        pub fn scratchBytes(self: *const @This()) usize {
            return @max(1, self.n) * @sizeOf(T);
        }

        pub fn solve(
            self: *const @This(),
            index: usize,
            scratch: []align(64) u8,
            threaded: bool,
        ) ?usize {
            _ = threaded;
            const n = self.n;
            const x = self.out[index * n * n ..][0 .. n * n];
            self.source.load(index, x, n, n);
            const coefficients = matrix_batch.scratchSlice(T, scratch, 0, n);
            for (0..n) |i| {
                if (x[i * n + i] == 0) return i;
            }
            if (self.upper) {
                invertUpper(T, x, n, coefficients);
            } else {
                invertLower(T, x, n, coefficients);
            }
            return null;
        }
    };
}

/// x holds U (upper triangle read); becomes U^-1 with a zero lower triangle.
pub fn invertUpper(comptime T: type, x: []T, n: usize, coefficients: []T) void {
    assert(x.len == n * n and coefficients.len >= n);
    var i = n;
    while (i > 0) {
        i -= 1;
        const row = x[i * n ..][0..n];
        const diagonal = row[i];
        assert(diagonal != 0);
        @memcpy(coefficients[i + 1 .. n], row[i + 1 .. n]);
        @memset(row, 0);
        row[i] = 1;
        for (i + 1..n) |j| {
            const u = coefficients[j];
            if (u != 0) row_ops.subScaled(T, row[j..n], x[j * n + j ..][0 .. n - j], u);
        }
        row_ops.divide(T, row[i..n], diagonal);
    }
}

/// x holds L (lower triangle read); becomes L^-1 with a zero upper triangle.
pub fn invertLower(comptime T: type, x: []T, n: usize, coefficients: []T) void {
    assert(x.len == n * n and coefficients.len >= n);
    for (0..n) |i| {
        const row = x[i * n ..][0..n];
        const diagonal = row[i];
        assert(diagonal != 0);
        @memcpy(coefficients[0..i], row[0..i]);
        @memset(row, 0);
        row[i] = 1;
        for (0..i) |j| {
            const l = coefficients[j];
            if (l != 0) row_ops.subScaled(T, row[0 .. j + 1], x[j * n ..][0 .. j + 1], l);
        }
        row_ops.divide(T, row[0 .. i + 1], diagonal);
    }
}

test "triangular inverses read one triangle" {
    var upper = [_]f64{ 2, 1, 9, 4 };
    var scratch: [2]f64 = undefined;
    invertUpper(f64, &upper, 2, &scratch);
    try std.testing.expectEqualSlices(f64, &.{ 0.5, -0.125, 0, 0.25 }, &upper);
    var lower = [_]f64{ 2, 9, 1, 4 };
    invertLower(f64, &lower, 2, &scratch);
    try std.testing.expectEqualSlices(f64, &.{ 0.5, 0, -0.125, 0.25 }, &lower);
}
