//! bfloat16 products on CPUs with AVX512-BF16 (`vdpbf16ps`). The blocked GEMM's panels hold
//! two bfloat16 values of consecutive depth indices in each 32-bit lane (`Pair`, the even
//! index in the low half), and the micro-kernel multiplies 16 lanes of pairs into 16 f32
//! accumulators per instruction: twice the products per instruction of the f32 kernel the
//! other half types are converted for.
//!
//! Numerics (the instruction's definition): it does not consult MXCSR; bfloat16 denormal
//! inputs read as zero and denormal f32 results are flushed to zero; products are exact in
//! f32 (8-bit significands) and each lane adds its two products to the accumulator, rounding
//! to nearest even. Away from denormals the result differs from converting to f32 and
//! running fused multiply-adds only in the rounding order within a pair.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const gemm = @import("gemm.zig");

const BFloat16 = dtype_mod.BFloat16;

/// Whether the target has the instruction (a host build on Zen 4 / Sapphire Rapids; none of
/// the psABI level files, whose feature sets stop at AVX-512 F/BW/CD/DQ/VL).
pub const available = builtin.cpu.arch == .x86_64 and
    std.Target.x86.featureSetHas(builtin.cpu.features, .avx512bf16) and
    std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f);

/// Two bfloat16 values of depth indices 2s (low half) and 2s + 1 (high half).
pub const Pair = enum(u32) { _ };

/// Packed depth steps (pairs) of `depth` indices; an odd tail pairs with zero.
pub fn steps(depth: usize) usize {
    return (depth + 1) / 2;
}

const lanes = 16;
const V = @Vector(lanes, f32);
const U = @Vector(lanes, u32);
/// 16 lanes of pairs.
pub const Lanes = U;

/// The 32 bfloat16 values at `p` as 16 lanes of pairs.
pub inline fn load(p: [*]const BFloat16) U {
    const words: *align(2) const [lanes]u32 = @ptrCast(p);
    return words.*;
}
/// Vectors of B per micro-kernel row: the f32 kernel's nr columns.
const row_vectors = gemm.nr / lanes;

comptime {
    // The level files' micro-kernel may be narrower than 16 lanes; they never use pairs.
    if (available) assert(gemm.nr % lanes == 0);
    assert(@sizeOf(Pair) == @sizeOf(f32));
}

/// Packs `count` rows (A, `along` .rows) or columns (B, .columns) of `operand` from `first`,
/// over depth `depth0..depth0 + depth`, into panels of `width` lines and `panel_steps`
/// steps (at least `steps(depth)`): panel q holds, for each step s, the `width` pairs
/// (2s, 2s + 1) of lines q*width.. (zero past `count` and past `depth`). The loop runs
/// along whichever direction is contiguous in memory.
pub fn pack(comptime width: usize, operand: *const gemm.Operand(BFloat16), batch: usize,
    first: usize, depth0: usize, count: usize, depth: usize, panel_steps: usize,
    comptime along: gemm.Along, out: []Pair) void {
    const line_stride = if (along == .rows) operand.row_stride else operand.column_stride;
    const depth_stride = if (along == .rows) operand.column_stride else operand.row_stride;
    const base: [*]const u16 = @ptrCast(operand.base + @as(usize, @intCast(operand.offsets[batch])));
    const pairs = steps(depth);
    const full_pairs = depth / 2;
    assert(panel_steps >= pairs);
    assert(out.len >= (std.math.divCeil(usize, count, width) catch unreachable) * width * panel_steps);
    const words: [*]u32 = @ptrCast(out.ptr);
    var panel_first: usize = 0;
    while (panel_first < count) : (panel_first += width) {
        const panel = words + panel_first * panel_steps;
        @memset(panel[pairs * width .. panel_steps * width], 0);
        const lines = @min(width, count - panel_first);
        const start: i64 = @as(i64, @intCast(first + panel_first)) * line_stride +
            @as(i64, @intCast(depth0)) * depth_stride;
        if (line_stride == 1 and lines == width) {
            // The panel's lines are contiguous: two vectors (depths 2s, 2s + 1) per step.
            for (0..pairs) |s| {
                const even = start + @as(i64, @intCast(2 * s)) * depth_stride;
                const low: @Vector(width, u32) = @as(@Vector(width, u16), base[@intCast(even)..][0..width].*);
                const high: @Vector(width, u32) = if (2 * s + 1 < depth)
                    @as(@Vector(width, u16), base[@intCast(even + depth_stride)..][0..width].*)
                else
                    @splat(0);
                panel[s * width ..][0..width].* = low | (high << @splat(16));
            }
            continue;
        }
        if (depth_stride == 1 and lines == width) {
            // Each line is contiguous along the depth: one 32-bit read is a pair. The lines
            // are read side by side so the panel is written in order.
            var sources: [width][*]const u16 = undefined;
            inline for (0..width) |line| {
                sources[line] = base + @as(usize, @intCast(start + @as(i64, @intCast(line)) * line_stride));
            }
            for (0..full_pairs) |s| {
                inline for (0..width) |line| {
                    const bytes: *const [4]u8 = @ptrCast(sources[line] + 2 * s);
                    panel[s * width + line] = std.mem.readInt(u32, bytes, .little);
                }
            }
            if (pairs > full_pairs) {
                inline for (0..width) |line| {
                    panel[full_pairs * width + line] = sources[line][depth - 1];
                }
            }
            continue;
        }
        for (0..lines) |line| {
            const line_start = start + @as(i64, @intCast(line)) * line_stride;
            for (0..pairs) |s| {
                const even = line_start + @as(i64, @intCast(2 * s)) * depth_stride;
                const low: u32 = base[@intCast(even)];
                const high: u32 = if (2 * s + 1 < depth) base[@intCast(even + depth_stride)] else 0;
                panel[s * width + line] = low | (high << 16);
            }
        }
        for (lines..width) |line| {
            for (0..pairs) |s| panel[s * width + line] = 0;
        }
    }
}

/// acc += the pairwise products of `a` and `b`, summed per lane. The self-hosted backend
/// (Debug unit tests) takes no such assembly and runs the same sum in f32 vectors.
pub inline fn dot(acc: V, a: U, b: U) V {
    if (builtin.zig_backend != .stage2_llvm) {
        const low_mask: U = @splat(0xffff);
        const a_low: V = @bitCast(a << @splat(16));
        const b_low: V = @bitCast(b << @splat(16));
        const a_high: V = @bitCast(a & ~low_mask);
        const b_high: V = @bitCast(b & ~low_mask);
        return acc + a_low * b_low + a_high * b_high;
    }
    return asm ("vdpbf16ps %[b], %[a], %[acc]"
        : [acc] "=v" (-> V),
        : [a] "v" (a),
          [b] "v" (b),
          [acc_in] "0" (acc),
    );
}

/// c[0..rows, 0..columns] (+)= a_panel @ b_panel over `pair_steps`; a full mr x nr block
/// in registers.
pub fn microKernel(pair_steps: usize, a: [*]const Pair, b: [*]const Pair, c: [*]f32, ldc: usize,
    rows: usize, columns: usize, accumulate: bool) void {
    comptime assert(available);
    const a_words: [*]const u32 = @ptrCast(a);
    const b_words: [*]const u32 = @ptrCast(b);
    var acc: [gemm.mr][row_vectors]V = @splat(@splat(@splat(0)));
    for (0..pair_steps) |s| {
        var bv: [row_vectors]U = undefined;
        inline for (0..row_vectors) |v| bv[v] = b_words[s * gemm.nr + v * lanes ..][0..lanes].*;
        inline for (0..gemm.mr) |r| {
            const av: U = @splat(a_words[s * gemm.mr + r]);
            inline for (0..row_vectors) |v| acc[r][v] = dot(acc[r][v], av, bv[v]);
        }
    }
    gemm.storeTile(f32, &acc, c, ldc, rows, columns, accumulate);
}

fn expectPacked(comptime width: usize, values: []const BFloat16, operand: *const gemm.Operand(BFloat16),
    first: usize, depth0: usize, count: usize, depth: usize, comptime along: gemm.Along) !void {
    var out: [4 * width * 8]Pair = undefined;
    pack(width, operand, 0, first, depth0, count, depth, steps(depth), along, &out);
    const words: []const u32 = @ptrCast(&out);
    const panels = std.math.divCeil(usize, count, width) catch unreachable;
    for (0..panels) |q| for (0..steps(depth)) |s| for (0..width) |l| {
        const line = q * width + l;
        var want: u32 = 0;
        for (0..2) |half| {
            const kk = 2 * s + half;
            if (line >= count or kk >= depth) continue;
            const row = if (along == .rows) first + line else depth0 + kk;
            const column = if (along == .rows) depth0 + kk else first + line;
            const index = @as(i64, @intCast(row)) * operand.row_stride + @as(i64, @intCast(column)) * operand.column_stride;
            want |= @as(u32, values[@intCast(index)].bits) << @intCast(16 * half);
        }
        try std.testing.expectEqual(want, words[(q * steps(depth) + s) * width + l]);
    };
}

test "pair packing matches the elements along every layout" {
    var values: [8 * 6]BFloat16 = undefined;
    for (&values, 0..) |*x, i| x.* = BFloat16.fromF32(@floatFromInt(i + 1));
    const offsets = [_]i64{0};
    // 8 x 6 row-major, and the same memory read as its 6 x 8 transpose.
    const row_major: gemm.Operand(BFloat16) = .{ .base = &values, .offsets = &offsets, .row_stride = 6, .column_stride = 1 };
    const transposed: gemm.Operand(BFloat16) = .{ .base = &values, .offsets = &offsets, .row_stride = 1, .column_stride = 6 };
    // Full and partial panels, even and odd depths, both packing directions: lines
    // contiguous along the depth, lines contiguous with each other.
    for ([_]usize{ 4, 3, 7 }) |count| for ([_]usize{ 4, 5 }) |depth| {
        try expectPacked(4, &values, &row_major, 1, 1, @min(count, 7), depth, .rows);
        try expectPacked(4, &values, &row_major, 1, 2, @min(count, 5), depth, .columns);
        try expectPacked(4, &values, &transposed, 1, 1, @min(count, 5), depth, .rows);
        try expectPacked(4, &values, &transposed, 1, 1, @min(count, 7), depth, .columns);
    };
}
