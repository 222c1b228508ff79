//! mx.fast.rope's fused kernel: rotates pairs of the first `dims` features of each row of a
//! row-major [N, L, D] array by angle (offset + l) * scale * inv_freq[i], with the pairs
//! (i, i + dims/2) or, traditional, (2i, 2i + 1). The inverse rotation (negated angles) is
//! the vjp. Angles, cosines and sines are f32 (computed once per position into a table);
//! the cosines and sines are rounded to the element type, as MLX's reference does.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const vmath = @import("vmath.zig");

pub const Frequencies = union(enum) {
    /// inv_freq[i] = base^(-i / half), as exp(-i * log(base) / half) with the factor in f32.
    base: f32,
    /// inv_freq[i] = 1 / periods[i] (f32, `half` of them).
    periods: [*]const f32,
};

pub fn Problem(comptime T: type) type {
    return struct {
        x: [*]const T,
        out: [*]T,
        /// N * L rows of `dim` elements.
        batch: usize,
        length: usize,
        dim: usize,
        dims: usize,
        traditional: bool,
        inverse: bool,
        offset: i64,
        scale: f32,
        frequencies: Frequencies,
        /// With a cotangent `g` of the output (same layout as x), writes instead of `out` the
        /// terms of the periods' cotangent: freqs_rows[row][k] = d(g · out) / d(theta[row][k])
        /// times the row's position (f32, [N * L, dims / 2]).
        freqs_grad: ?struct { g: [*]const T, freqs_rows: [*]f32 } = null,
    };
}

/// Rotates `problem.x` into `problem.out`; OutOfMemory if the angle table cannot be made.
pub fn run(comptime T: type, problem: *const Problem(T)) errors.Error!void {
    assert(problem.dims % 2 == 0 and problem.dims > 0 and problem.dims <= problem.dim);
    const half = problem.dims / 2;
    const table_len = problem.length * half;
    if (problem.batch == 0 or problem.length == 0) return;
    const table = memory.allocator.alloc(f32, 2 * table_len) catch
        return memory.outOfMemory(2 * table_len * @sizeOf(f32));
    defer memory.allocator.free(table);
    const log_step: f32 = switch (problem.frequencies) {
        .base => |base| @log(base) / @as(f32, @floatFromInt(half)),
        .periods => 0,
    };
    for (0..problem.length) |l| {
        const position = @as(f32, @floatFromInt(problem.offset + @as(i64, @intCast(l)))) * problem.scale;
        for (0..half) |i| {
            const inv_freq = switch (problem.frequencies) {
                .base => vmath.exp(-@as(f32, @floatFromInt(i)) * log_step),
                .periods => |periods| 1 / periods[i],
            };
            const theta = position * inv_freq;
            table[l * half + i] = roundTo(T, vmath.cos(theta));
            table[table_len + l * half + i] = roundTo(T, vmath.sin(theta));
        }
    }
    const job: Job(T) = .{ .problem = problem, .cosines = table[0..table_len], .sines = table[table_len..] };
    pool.parallelFor(problem.batch * problem.length, @max(1, simd.parallel_grain_elements / problem.dim), &job, Job(T).range);
}

fn roundTo(comptime T: type, value: f32) f32 {
    if (T == f32) return value;
    var staged: [1]T = undefined;
    simd.storeF32(T, 1, &staged, .{value});
    return simd.loadF32(T, 1, &staged)[0];
}

fn Job(comptime T: type) type {
    return struct {
        problem: *const Problem(T),
        cosines: []const f32,
        sines: []const f32,

        const Self = @This();

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            const p = self.problem;
            const half = p.dims / 2;
            // Pair (a, b) of element k: a at k * a_step, b at b_start + k * a_step.
            const a_step: usize = if (p.traditional) 2 else 1;
            const b_start: usize = if (p.traditional) 1 else half;
            const sign: f32 = if (p.inverse) -1 else 1;
            for (start..end) |row| {
                const l = row % p.length;
                const x = p.x + row * p.dim;
                const out = p.out + row * p.dim;
                const cosines = self.cosines[l * half ..][0..half];
                const sines = self.sines[l * half ..][0..half];
                if (p.freqs_grad) |fg| {
                    // o_a = a c - b s, o_b = a s + b c: d(g·o)/dθ = sign (g_b o_a - g_a o_b).
                    const position = @as(f32, @floatFromInt(p.offset + @as(i64, @intCast(l)))) * p.scale;
                    const g = fg.g + row * p.dim;
                    for (0..half) |k| {
                        const a = simd.loadF32(T, 1, x + k * a_step)[0];
                        const b = simd.loadF32(T, 1, x + b_start + k * a_step)[0];
                        const c = cosines[k];
                        const s = sign * sines[k];
                        const ga = simd.loadF32(T, 1, g + k * a_step)[0];
                        const gb = simd.loadF32(T, 1, g + b_start + k * a_step)[0];
                        fg.freqs_rows[row * half + k] = sign * (gb * (a * c - b * s) - ga * (a * s + b * c)) * position;
                    }
                    continue;
                }
                for (0..half) |k| {
                    const a = simd.loadF32(T, 1, x + k * a_step)[0];
                    const b = simd.loadF32(T, 1, x + b_start + k * a_step)[0];
                    const c = cosines[k];
                    const s = sign * sines[k];
                    simd.storeF32(T, 1, out + k * a_step, .{a * c - b * s});
                    simd.storeF32(T, 1, out + b_start + k * a_step, .{a * s + b * c});
                }
                @memcpy(out[p.dims..p.dim], x[p.dims..p.dim]);
            }
        }
    };
}

test "rope rotates pairs by position times frequency, and its inverse undoes it" {
    const dim = 6;
    var x: [2 * 3 * dim]f32 = undefined;
    for (&x, 0..) |*v, i| v.* = @as(f32, @floatFromInt((i * 5) % 7)) - 3;
    var out: [x.len]f32 = undefined;
    var back: [x.len]f32 = undefined;
    for ([_]bool{ false, true }) |traditional| {
        var problem: Problem(f32) = .{ .x = &x, .out = &out, .batch = 2, .length = 3, .dim = dim, .dims = 4,
            .traditional = traditional, .inverse = false, .offset = 2, .scale = 0.5, .frequencies = .{ .base = 100 } };
        try run(f32, &problem);
        // Row 1 of batch 1 (position (2 + 1) * 0.5), pair 1: frequency 100^(-1/2).
        const row = 3 + 1;
        const theta: f32 = 1.5 * 0.1;
        const ia: usize = if (traditional) 2 else 1;
        const ib: usize = if (traditional) 3 else 3;
        const a = x[row * dim + ia];
        const b = x[row * dim + ib];
        try std.testing.expectApproxEqAbs(a * @cos(theta) - b * @sin(theta), out[row * dim + ia], 1e-5);
        try std.testing.expectApproxEqAbs(a * @sin(theta) + b * @cos(theta), out[row * dim + ib], 1e-5);
        try std.testing.expectEqual(x[row * dim + 5], out[row * dim + 5]);
        problem.x = &out;
        problem.out = &back;
        problem.inverse = true;
        try run(f32, &problem);
        for (x, back) |want, got| try std.testing.expectApproxEqAbs(want, got, 1e-5);
    }
}
