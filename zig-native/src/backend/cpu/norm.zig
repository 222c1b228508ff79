//! Fused kernels of mx.fast's normalizations over the last axis of row-major rows:
//! rms_norm and layer_norm, forward and backward. Arithmetic is in f32 (16-lane vectors,
//! element types f32, f16 or bfloat16 widened in registers); rows are split across threads.
//! The forward rounds as MLX's reference does: the normalized row to the element type, then
//! the product with the weight, then the sum with the bias.

const std = @import("std");
const assert = std.debug.assert;
const pool = @import("pool.zig");
const simd = @import("simd.zig");

const lanes = 16;
const V = @Vector(lanes, f32);

pub const Kind = enum(u8) { rms, layer };

/// Fewest elements a thread is handed.
fn rowsPerChunk(dim: usize) usize {
    return @max(1, simd.parallel_grain_elements / @max(dim, 1));
}

/// f32 lanes rounded to `T` and back (what storing in `T` keeps).
inline fn roundTo(comptime T: type, value: V) V {
    if (T == f32) return value;
    var staged: [lanes]T = undefined;
    simd.storeF32(T, lanes, &staged, value);
    return simd.loadF32(T, lanes, &staged);
}

inline fn roundScalar(comptime T: type, value: f32) f32 {
    return roundTo(T, @splat(value))[0];
}

fn scalarF32(comptime T: type, value: T) f32 {
    return simd.loadF32(T, 1, @ptrCast(&value))[0];
}

/// Lanes `i .. i + lanes` of a row, or the tail `i .. len` padded with `fill`.
inline fn loadPart(comptime T: type, row: [*]const T, i: usize, len: usize, fill: f32) V {
    if (i + lanes <= len) return simd.loadF32(T, lanes, row + i);
    var part: V = @splat(fill);
    for (i..len) |k| part[k - i] = scalarF32(T, row[k]);
    return part;
}

inline fn storePart(comptime T: type, row: [*]T, i: usize, len: usize, value: V) void {
    if (i + lanes <= len) return simd.storeF32(T, lanes, row + i, value);
    var staged: [lanes]T = undefined;
    simd.storeF32(T, lanes, &staged, value);
    for (i..len) |k| row[k] = staged[k - i];
}

/// The mean of a row and the reciprocal of its root-mean-square deviation from `center`
/// (rms: center 0, layer: the mean), both in f32.
fn rowStats(comptime T: type, kind: Kind, row: [*]const T, dim: usize, eps: f32) struct { mean: f32, inv: f32 } {
    const n: f32 = @floatFromInt(dim);
    var mean: f32 = 0;
    if (kind == .layer) {
        var sum: V = @splat(0);
        var i: usize = 0;
        while (i < dim) : (i += lanes) sum += loadPart(T, row, i, dim, 0);
        mean = @reduce(.Add, sum) / n;
    }
    var squares: V = @splat(0);
    var i: usize = 0;
    while (i < dim) : (i += lanes) {
        const centered = loadPart(T, row, i, dim, mean) - @as(V, @splat(mean));
        squares = simd.mulAdd(V, centered, centered, squares);
    }
    return .{ .mean = mean, .inv = 1 / @sqrt(@reduce(.Add, squares) / n + eps) };
}

/// out = normalize(x) [* weight] [+ bias] over rows of `dim` elements.
pub fn Forward(comptime T: type) type {
    return struct {
        kind: Kind,
        x: [*]const T,
        weight: ?[*]const T,
        bias: ?[*]const T,
        out: [*]T,
        rows: usize,
        dim: usize,
        eps: f32,

        const Self = @This();

        pub fn run(self: *const Self) void {
            assert(self.dim > 0);
            assert(self.kind == .layer or self.bias == null);
            pool.parallelFor(self.rows, rowsPerChunk(self.dim), self, range);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            for (start..end) |r| {
                const x = self.x + r * self.dim;
                const out = self.out + r * self.dim;
                const stats = rowStats(T, self.kind, x, self.dim, self.eps);
                const mean: V = @splat(stats.mean);
                const inv: V = @splat(stats.inv);
                var i: usize = 0;
                while (i < self.dim) : (i += lanes) {
                    var y = roundTo(T, (loadPart(T, x, i, self.dim, 0) - mean) * inv);
                    if (self.weight) |w| y = roundTo(T, y * loadPart(T, w, i, self.dim, 0));
                    if (self.bias) |b| y += loadPart(T, b, i, self.dim, 0);
                    storePart(T, out, i, self.dim, y);
                }
            }
        }
    };
}

/// What a backward node computes: the cotangent of x (in T), or per-row terms of the
/// weight's cotangent, g * normalized x (f32, summed over rows by the caller).
pub const Part = enum(u8) { dx, weight_rows };

/// The backward of Forward given the cotangent `g` of its output.
///   rms:   dx = r (g w) - x r³ mean(g w x)
///   layer: dx = r (g w - mean(g w) - x̂ mean(g w x̂)),  x̂ = (x - mean) r
pub fn Backward(comptime T: type) type {
    return struct {
        kind: Kind,
        part: Part,
        x: [*]const T,
        weight: ?[*]const T,
        g: [*]const T,
        /// dx: T elements; weight_rows: f32 elements.
        out: *anyopaque,
        rows: usize,
        dim: usize,
        eps: f32,

        const Self = @This();

        pub fn run(self: *const Self) void {
            assert(self.dim > 0);
            pool.parallelFor(self.rows, rowsPerChunk(self.dim), self, range);
        }

        inline fn weighted(self: *const Self, g: [*]const T, i: usize) V {
            const gv = loadPart(T, g, i, self.dim, 0);
            return if (self.weight) |w| gv * loadPart(T, w, i, self.dim, 0) else gv;
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            const n: f32 = @floatFromInt(self.dim);
            for (start..end) |r| {
                const x = self.x + r * self.dim;
                const g = self.g + r * self.dim;
                const stats = rowStats(T, self.kind, x, self.dim, self.eps);
                const mean: V = @splat(stats.mean);
                const inv: V = @splat(stats.inv);
                if (self.part == .weight_rows) {
                    const out = @as([*]f32, @ptrCast(@alignCast(self.out))) + r * self.dim;
                    var i: usize = 0;
                    while (i < self.dim) : (i += lanes) {
                        const normalized = (loadPart(T, x, i, self.dim, 0) - mean) * inv;
                        storePart(f32, out, i, self.dim, loadPart(T, g, i, self.dim, 0) * normalized);
                    }
                    continue;
                }
                // Row sums of g w and of g w x̂ (x̂ = x r for rms).
                var sum_gw: V = @splat(0);
                var sum_gwx: V = @splat(0);
                var i: usize = 0;
                while (i < self.dim) : (i += lanes) {
                    const gw = self.weighted(g, i);
                    const normalized = (loadPart(T, x, i, self.dim, 0) - mean) * inv;
                    sum_gw += gw;
                    sum_gwx = simd.mulAdd(V, gw, normalized, sum_gwx);
                }
                const mean_gw: V = @splat(if (self.kind == .layer) @reduce(.Add, sum_gw) / n else 0);
                const mean_gwx: V = @splat(@reduce(.Add, sum_gwx) / n);
                const out = @as([*]T, @ptrCast(@alignCast(self.out))) + r * self.dim;
                i = 0;
                while (i < self.dim) : (i += lanes) {
                    const gw = self.weighted(g, i);
                    const normalized = (loadPart(T, x, i, self.dim, 0) - mean) * inv;
                    storePart(T, out, i, self.dim, inv * (gw - mean_gw - normalized * mean_gwx));
                }
            }
        }
    };
}

test "rms_norm and layer_norm rows match their definitions, and the backward a difference quotient" {
    const dim = 37;
    var x: [2 * dim]f32 = undefined;
    var w: [dim]f32 = undefined;
    var b: [dim]f32 = undefined;
    var g: [2 * dim]f32 = undefined;
    for (&x, 0..) |*v, i| v.* = @as(f32, @floatFromInt((i * 7) % 11)) * 0.3 - 1.2;
    for (&g, 0..) |*v, i| v.* = @as(f32, @floatFromInt((i * 5) % 13)) * 0.1 - 0.6;
    for (&w, &b, 0..) |*wv, *bv, i| {
        wv.* = 0.5 + @as(f32, @floatFromInt(i % 4)) * 0.25;
        bv.* = @as(f32, @floatFromInt(i % 3)) - 1;
    }
    for ([_]Kind{ .rms, .layer }) |kind| {
        var out: [2 * dim]f32 = undefined;
        const bias: ?[*]const f32 = if (kind == .layer) &b else null;
        (Forward(f32){ .kind = kind, .x = &x, .weight = &w, .bias = bias, .out = &out, .rows = 2, .dim = dim, .eps = 1e-5 }).run();
        for (0..2) |r| {
            const row = x[r * dim ..][0..dim];
            var mean: f64 = 0;
            if (kind == .layer) {
                for (row) |v| mean += v;
                mean /= dim;
            }
            var squares: f64 = 0;
            for (row) |v| squares += (v - mean) * (v - mean);
            const inv = 1 / @sqrt(squares / dim + 1e-5);
            for (0..dim) |i| {
                var expected = (row[i] - mean) * inv * w[i];
                if (kind == .layer) expected += b[i];
                try std.testing.expectApproxEqAbs(expected, out[r * dim + i], 1e-5);
            }
        }
        // dx against a central difference of sum(g * forward(x)).
        var dx: [2 * dim]f32 = undefined;
        (Backward(f32){ .kind = kind, .part = .dx, .x = &x, .weight = &w, .g = &g, .out = &dx, .rows = 2, .dim = dim, .eps = 1e-5 }).run();
        for ([_]usize{ 0, 5, 40, 73 }) |at| {
            var shifted = x;
            var loss: [2]f64 = undefined;
            for ([_]f32{ 1e-2, -1e-2 }, 0..) |h, side| {
                shifted[at] = x[at] + h;
                (Forward(f32){ .kind = kind, .x = &shifted, .weight = &w, .bias = bias, .out = &out, .rows = 2, .dim = dim, .eps = 1e-5 }).run();
                loss[side] = 0;
                for (out, g) |o, gv| loss[side] += o * gv;
            }
            try std.testing.expectApproxEqAbs((loss[0] - loss[1]) / 2e-2, dx[at], 2e-3);
        }
    }
}
