//! Row operations of the factorization kernels on contiguous rows, as `@Vector` loops with a
//! scalar tail that computes the same expression (no fused multiply-add in either, so a
//! row's body and tail round alike).

const std = @import("std");
const assert = std.debug.assert;
const simd = @import("simd.zig");

/// y[i] -= alpha * x[i].
pub fn subScaled(comptime T: type, y: []T, x: []const T, alpha: T) void {
    assert(y.len == x.len);
    const n = simd.lanes(T);
    const V = simd.Vec(T);
    const scale: V = @splat(alpha);
    var i: usize = 0;
    while (i + n <= y.len) : (i += n) {
        const vx: V = x[i..][0..n].*;
        const vy: V = y[i..][0..n].*;
        y[i..][0..n].* = vy - scale * vx;
    }
    while (i < y.len) : (i += 1) y[i] -= alpha * x[i];
}

/// y[i] /= divisor.
pub fn divide(comptime T: type, y: []T, divisor: T) void {
    const n = simd.lanes(T);
    const V = simd.Vec(T);
    const d: V = @splat(divisor);
    var i: usize = 0;
    while (i + n <= y.len) : (i += n) {
        const vy: V = y[i..][0..n].*;
        y[i..][0..n].* = vy / d;
    }
    while (i < y.len) : (i += 1) y[i] /= divisor;
}

/// sum(x[i] * y[i]), accumulated in vector lanes then reduced.
pub fn dot(comptime T: type, x: []const T, y: []const T) T {
    assert(x.len == y.len);
    const n = simd.lanes(T);
    const V = simd.Vec(T);
    var acc: V = @splat(0);
    var i: usize = 0;
    while (i + n <= x.len) : (i += n) {
        const vx: V = x[i..][0..n].*;
        const vy: V = y[i..][0..n].*;
        acc += vx * vy;
    }
    var total = @reduce(.Add, acc);
    while (i < x.len) : (i += 1) total += x[i] * y[i];
    return total;
}

/// Swaps two equal-length rows.
pub fn swap(comptime T: type, a: []T, b: []T) void {
    assert(a.len == b.len);
    for (a, b) |*x, *y| std.mem.swap(T, x, y);
}

/// Transposes a square row-major n x n matrix in place.
pub fn transposeSquare(comptime T: type, matrix: []T, n: usize) void {
    assert(matrix.len == n * n);
    for (0..n) |i| {
        for (i + 1..n) |j| std.mem.swap(T, &matrix[i * n + j], &matrix[j * n + i]);
    }
}

test "row ops match their scalar definitions" {
    var y = [_]f32{1} ** 37;
    var x: [37]f32 = undefined;
    for (&x, 0..) |*v, i| v.* = @floatFromInt(i);
    subScaled(f32, &y, &x, 2);
    for (y, 0..) |v, i| try std.testing.expectEqual(1 - 2 * @as(f32, @floatFromInt(i)), v);
    try std.testing.expectEqual(@as(f32, 16206), dot(f32, &x, &x));
    divide(f32, &y, -1);
    try std.testing.expectEqual(@as(f32, 71), y[36]);
    var m = [_]f64{ 1, 2, 3, 4 };
    transposeSquare(f64, &m, 2);
    try std.testing.expectEqualSlices(f64, &.{ 1, 3, 2, 4 }, &m);
}
