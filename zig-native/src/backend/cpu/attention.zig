//! mx.fast.scaled_dot_product_attention's fused kernels: softmax(scale q kᵀ + mask) v for
//! queries [B, H, L, D] over keys and values [B, Hkv, S, D] (query head h reads key head
//! h / (H / Hkv)), and its backward. Nothing of size L x S is materialized: the forward runs
//! an online softmax over blocks of keys for a few query rows at a time; the backward
//! recomputes the probabilities. Operands are read through strides (rows contiguous), so
//! a KV cache's slice is used in place. All arithmetic is f32.

const std = @import("std");
const assert = std.debug.assert;
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const vmath = @import("vmath.zig");

/// Longest head the kernels take (their accumulators live on the stack).
pub const head_dim_max = 512;
/// Query rows sharing each pass over the keys.
const rows_per_block = 4;
/// Keys scored before their values are accumulated.
const keys_per_block = 64;
const lanes = 16;
const V = @Vector(lanes, f32);
/// What a masked-out (boolean false or causal) score becomes: MLX's lowest float32.
const masked_score = -std.math.floatMax(f32);

pub fn Operand(comptime T: type) type {
    return struct {
        base: [*]const T,
        offset: i64,
        /// Strides of the three leading axes (the last axis is contiguous).
        strides: [3]i64,

        pub fn row(self: @This(), b: usize, h: usize, i: usize) [*]const T {
            const at = self.offset + @as(i64, @intCast(b)) * self.strides[0] +
                @as(i64, @intCast(h)) * self.strides[1] + @as(i64, @intCast(i)) * self.strides[2];
            assert(at >= 0);
            return self.base + @as(usize, @intCast(at));
        }
    };
}

pub const Mask = union(enum) {
    none,
    /// Query i sees keys up to i + S - L.
    causal,
    /// Broadcast to [B, H, L, S]: offset and four strides in elements.
    boolean: Strided(u8),
    additive: Strided(f32),
};

pub fn Strided(comptime T: type) type {
    return struct {
        base: [*]const T,
        offset: i64,
        strides: [4]i64,

        fn at(self: @This(), b: usize, h: usize, l: usize, s: usize) T {
            const index = self.offset + @as(i64, @intCast(b)) * self.strides[0] + @as(i64, @intCast(h)) * self.strides[1] +
                @as(i64, @intCast(l)) * self.strides[2] + @as(i64, @intCast(s)) * self.strides[3];
            assert(index >= 0);
            return self.base[@intCast(index)];
        }
    };
}

pub fn Problem(comptime T: type) type {
    return struct {
        q: Operand(T),
        k: Operand(T),
        v: Operand(T),
        mask: Mask,
        batch: usize,
        heads: usize,
        kv_heads: usize,
        length: usize,
        keys: usize,
        dim: usize,
        scale: f32,

        pub fn check(self: *const @This()) void {
            assert(self.dim > 0 and self.dim <= head_dim_max);
            assert(self.kv_heads > 0 and self.heads % self.kv_heads == 0);
        }

        /// The score of query row l against key j before the softmax.
        pub inline fn masked(self: *const @This(), b: usize, h: usize, l: usize, j: usize, score: f32) f32 {
            return switch (self.mask) {
                .additive => |m| score + m.at(b, h, l, j),
                else => if (self.hidden(b, h, l, j)) masked_score else score,
            };
        }

        /// Whether the mask replaces the score of query row l against key j by a constant
        /// (causal or boolean false): the score then depends on neither q nor k.
        inline fn hidden(self: *const @This(), b: usize, h: usize, l: usize, j: usize) bool {
            return switch (self.mask) {
                .none, .additive => false,
                .causal => j + self.length > l + self.keys,
                .boolean => |m| m.at(b, h, l, j) == 0,
            };
        }

        /// Whether `masked` leaves every score of row l against keys j0 .. j0 + count as it is.
        pub fn unmasked(self: *const @This(), l: usize, j0: usize, count: usize) bool {
            return switch (self.mask) {
                .none => true,
                .causal => j0 + count + self.length <= l + self.keys + 1,
                .boolean, .additive => false,
            };
        }

        /// One past the last key any of rows `l0 .. l0 + rows` may see.
        pub fn keyEnd(self: *const @This(), l0: usize, rows: usize) usize {
            // With more queries than keys, early causal rows see nothing and so weigh every
            // key alike (as MLX's reference): no key may be skipped.
            if (self.mask != .causal or self.length > self.keys) return self.keys;
            return @min(self.keys, l0 + rows + self.keys - self.length);
        }
    };
}

fn dot(comptime T: type, a: [*]const f32, b: [*]const T, dim: usize) f32 {
    var acc: V = @splat(0);
    var i: usize = 0;
    while (i + lanes <= dim) : (i += lanes) acc = simd.mulAdd(V, a[i..][0..lanes].*, simd.loadF32(T, lanes, b + i), acc);
    var sum = @reduce(.Add, acc);
    while (i < dim) : (i += 1) sum += a[i] * simd.loadF32(T, 1, b + i)[0];
    return sum;
}

/// acc += alpha * x.
fn axpy(comptime T: type, acc: [*]f32, alpha: f32, x: [*]const T, dim: usize) void {
    const a: V = @splat(alpha);
    var i: usize = 0;
    while (i + lanes <= dim) : (i += lanes) acc[i..][0..lanes].* = simd.mulAdd(V, a, simd.loadF32(T, lanes, x + i), acc[i..][0..lanes].*);
    while (i < dim) : (i += 1) acc[i] += alpha * simd.loadF32(T, 1, x + i)[0];
}

/// The dot products of `a` with four rows, four accumulators side by side.
fn dot4(comptime T: type, a: [*]const f32, rows: [4][*]const T, dim: usize) [4]f32 {
    var acc: [4]V = @splat(@splat(0));
    var i: usize = 0;
    while (i + lanes <= dim) : (i += lanes) {
        const x: V = a[i..][0..lanes].*;
        inline for (&acc, rows) |*sum, row| sum.* = simd.mulAdd(V, x, simd.loadF32(T, lanes, row + i), sum.*);
    }
    var sums: [4]f32 = undefined;
    inline for (&sums, acc, rows) |*sum, vector, row| {
        sum.* = @reduce(.Add, vector);
        for (i..dim) |tail| sum.* += a[tail] * simd.loadF32(T, 1, row + tail)[0];
    }
    return sums;
}

/// The largest of `row` (-inf for none), as the scalar loop's @max would find it.
pub fn rowMax(row: []const f32) f32 {
    var maxima: V = @splat(-std.math.inf(f32));
    var j: usize = 0;
    while (j + lanes <= row.len) : (j += lanes) maxima = @max(maxima, @as(V, row[j..][0..lanes].*));
    var max = @reduce(.Max, maxima);
    for (row[j..]) |score| max = @max(max, score);
    return max;
}

/// scores[j] = e^(scores[j] - max), 16 at a time; returns their sum.
pub fn expShifted(scores: []f32, max: f32) f32 {
    const shift: V = @splat(max);
    var sums: V = @splat(0);
    var j: usize = 0;
    while (j + lanes <= scores.len) : (j += lanes) {
        const e = vmath.exp(@as(V, scores[j..][0..lanes].*) - shift);
        scores[j..][0..lanes].* = e;
        sums += e;
    }
    var total = @reduce(.Add, sums);
    for (scores[j..]) |*score| {
        score.* = vmath.exp(score.* - max);
        total += score.*;
    }
    return total;
}

/// acc[r] += sum over j of weights[r][j] * values[j], for the first `rows` rows: 16 lanes of
/// every row's accumulator stay in registers over the whole block of values.
fn accumulate(comptime T: type, comptime rows: usize, acc: *[rows_per_block][head_dim_max]f32,
    weights: *const [rows_per_block][keys_per_block]f32, values: []const [*]const T, dim: usize) void {
    var i: usize = 0;
    while (i + lanes <= dim) : (i += lanes) {
        var sums: [rows]V = undefined;
        inline for (&sums, 0..) |*sum, r| sum.* = acc[r][i..][0..lanes].*;
        for (values, 0..) |value, j| {
            const x = simd.loadF32(T, lanes, value + i);
            inline for (&sums, 0..) |*sum, r| sum.* = simd.mulAdd(V, @splat(weights[r][j]), x, sum.*);
        }
        inline for (sums, 0..) |sum, r| acc[r][i..][0..lanes].* = sum;
    }
    for (i..dim) |tail| {
        for (values, 0..) |value, j| {
            const x = simd.loadF32(T, 1, value + tail)[0];
            inline for (0..rows) |r| acc[r][tail] += weights[r][j] * x;
        }
    }
}

fn widen(comptime T: type, out: [*]f32, x: [*]const T, dim: usize, factor: f32) void {
    for (0..dim) |i| out[i] = simd.loadF32(T, 1, x + i)[0] * factor;
}

/// The forward: `out` is row-major [B, H, L, D].
pub fn Forward(comptime T: type) type {
    return struct {
        problem: *const Problem(T),
        out: [*]T,

        const Self = @This();

        pub fn run(self: *const Self) void {
            const p = self.problem;
            p.check();
            const blocks = std.math.divCeil(usize, p.length, rows_per_block) catch unreachable;
            pool.parallelFor(p.batch * p.heads * blocks, 1, self, range);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            const p = self.problem;
            const blocks = std.math.divCeil(usize, p.length, rows_per_block) catch unreachable;
            const group = p.heads / p.kv_heads;
            var queries: [rows_per_block][head_dim_max]f32 = undefined;
            var acc: [rows_per_block][head_dim_max]f32 = undefined;
            var scores: [rows_per_block][keys_per_block]f32 = undefined;
            for (start..end) |unit| {
                const b = unit / (p.heads * blocks);
                const h = (unit / blocks) % p.heads;
                const l0 = (unit % blocks) * rows_per_block;
                const rows = @min(rows_per_block, p.length - l0);
                const kvh = h / group;
                var running_max: [rows_per_block]f32 = @splat(-std.math.inf(f32));
                var total: [rows_per_block]f32 = @splat(0);
                for (0..rows) |r| {
                    // MLX scales the queries in their own type before the product.
                    const q = p.q.row(b, h, l0 + r);
                    for (0..p.dim) |i| queries[r][i] = roundTo(T, simd.loadF32(T, 1, q + i)[0] * p.scale);
                    @memset(acc[r][0..p.dim], 0);
                }
                const key_end = p.keyEnd(l0, rows);
                var j0: usize = 0;
                while (j0 < key_end) : (j0 += keys_per_block) {
                    const count = @min(keys_per_block, key_end - j0);
                    var jj: usize = 0;
                    while (jj + 4 <= count) : (jj += 4) {
                        var keys: [4][*]const T = undefined;
                        inline for (&keys, 0..) |*k, t| k.* = p.k.row(b, kvh, j0 + jj + t);
                        for (0..rows) |r| {
                            const sums = dot4(T, &queries[r], keys, p.dim);
                            inline for (sums, 0..) |sum, t| {
                                scores[r][jj + t] = p.masked(b, h, l0 + r, j0 + jj + t, sum);
                            }
                        }
                    }
                    while (jj < count) : (jj += 1) {
                        const k = p.k.row(b, kvh, j0 + jj);
                        for (0..rows) |r| scores[r][jj] = p.masked(b, h, l0 + r, j0 + jj, dot(T, &queries[r], k, p.dim));
                    }
                    for (0..rows) |r| {
                        var block_max: f32 = -std.math.inf(f32);
                        for (scores[r][0..count]) |s| block_max = @max(block_max, s);
                        const next_max = @max(running_max[r], block_max);
                        if (next_max == -std.math.inf(f32)) {
                            // Every score so far is -inf: nothing to weigh yet.
                            @memset(scores[r][0..count], 0);
                            continue;
                        }
                        const rescale = vmath.exp(running_max[r] - next_max);
                        running_max[r] = next_max;
                        total[r] *= rescale;
                        if (rescale != 1) {
                            for (acc[r][0..p.dim]) |*a| a.* *= rescale;
                        }
                        total[r] += expShifted(scores[r][0..count], next_max);
                    }
                    var values: [keys_per_block][*]const T = undefined;
                    for (values[0..count], j0..) |*v, j| v.* = p.v.row(b, kvh, j);
                    switch (rows) {
                        inline 1...rows_per_block => |r| accumulate(T, r, &acc, &scores, values[0..count], p.dim),
                        else => unreachable,
                    }
                }
                for (0..rows) |r| {
                    const out = self.out + ((b * p.heads + h) * p.length + l0 + r) * p.dim;
                    // An empty or all -inf row is 0 / 0 = NaN, as MLX's softmax gives.
                    const inv = 1 / total[r];
                    for (0..p.dim) |i| simd.storeF32(T, 1, out + i, .{acc[r][i] * inv});
                }
            }
        }
    };
}

/// value rounded to T and back.
pub fn roundTo(comptime T: type, value: f32) f32 {
    if (T == f32) return value;
    var staged: [1]T = undefined;
    simd.storeF32(T, 1, &staged, .{value});
    return simd.loadF32(T, 1, &staged)[0];
}

/// The backward given the forward's output `o` and its cotangent `g` (both row-major
/// [B, H, L, D] in T): writes f32 dq [B, H, L, D], then dk and dv [B, Hkv, S, D], packed in
/// that order into `out`. Threads split over (batch, key head), each owning its dk and dv.
///   p = softmax(s), dv_j = Σ_rows p_j g, dp_j = g · v_j, ds_j = p_j (dp_j - g · o),
///   dq = scale Σ_j ds_j k_j, dk_j = scale Σ_rows ds_j q
pub fn Backward(comptime T: type) type {
    return struct {
        problem: *const Problem(T),
        o: [*]const T,
        g: [*]const T,
        out: [*]f32,

        const Self = @This();

        pub fn run(self: *const Self) void {
            const p = self.problem;
            p.check();
            pool.parallelFor(p.batch * p.kv_heads, 1, self, range);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            const p = self.problem;
            const group = p.heads / p.kv_heads;
            const dq_len = p.batch * p.heads * p.length * p.dim;
            const kv_len = p.batch * p.kv_heads * p.keys * p.dim;
            var query: [head_dim_max]f32 = undefined;
            var grad: [head_dim_max]f32 = undefined;
            for (start..end) |unit| {
                const b = unit / p.kv_heads;
                const kvh = unit % p.kv_heads;
                const dk = self.out + dq_len + unit * p.keys * p.dim;
                const dv = self.out + dq_len + kv_len + unit * p.keys * p.dim;
                @memset(dk[0 .. p.keys * p.dim], 0);
                @memset(dv[0 .. p.keys * p.dim], 0);
                for (kvh * group..(kvh + 1) * group) |h| {
                    for (0..p.length) |l| {
                        const row = (b * p.heads + h) * p.length + l;
                        const q = p.q.row(b, h, l);
                        for (0..p.dim) |i| query[i] = roundTo(T, simd.loadF32(T, 1, q + i)[0] * p.scale);
                        widen(T, &grad, self.g + row * p.dim, p.dim, 1);
                        const key_end = p.keyEnd(l, 1);
                        // The row's softmax normalizer.
                        var running_max: f32 = -std.math.inf(f32);
                        var total: f32 = 0;
                        for (0..key_end) |j| {
                            const s = p.masked(b, h, l, j, dot(T, &query, p.k.row(b, kvh, j), p.dim));
                            if (s == -std.math.inf(f32)) continue;
                            if (s <= running_max) {
                                total += vmath.exp(s - running_max);
                            } else {
                                total = total * vmath.exp(running_max - s) + 1;
                                running_max = s;
                            }
                        }
                        const delta = dot(T, &grad, self.o + row * p.dim, p.dim);
                        const dq = self.out + row * p.dim;
                        @memset(dq[0..p.dim], 0);
                        for (0..key_end) |j| {
                            const k = p.k.row(b, kvh, j);
                            const v = p.v.row(b, kvh, j);
                            const s = p.masked(b, h, l, j, dot(T, &query, k, p.dim));
                            const prob = vmath.exp(s - running_max) / total;
                            if (prob == 0) continue;
                            axpy(f32, dv + j * p.dim, prob, &grad, p.dim);
                            // A row that sees no key weighs them all alike, through constants.
                            if (p.hidden(b, h, l, j)) continue;
                            const ds = prob * (dot(T, &grad, v, p.dim) - delta) * p.scale;
                            axpy(T, dq, ds, k, p.dim);
                            // d(score)/dk = scale * q (the unscaled query).
                            axpy(T, dk + j * p.dim, ds, q, p.dim);
                        }
                    }
                }
            }
        }
    };
}

test "attention forward and backward match the dense formulas" {
    const B = 1;
    const H = 2;
    const Hkv = 1;
    const L = 3;
    const S = 5;
    const D = 4;
    var q: [B * H * L * D]f32 = undefined;
    var k: [B * Hkv * S * D]f32 = undefined;
    var v: [B * Hkv * S * D]f32 = undefined;
    var g: [q.len]f32 = undefined;
    for (&q, 0..) |*x, i| x.* = @as(f32, @floatFromInt((i * 5) % 7)) * 0.2 - 0.6;
    for (&k, 0..) |*x, i| x.* = @as(f32, @floatFromInt((i * 3) % 11)) * 0.1 - 0.5;
    for (&v, 0..) |*x, i| x.* = @as(f32, @floatFromInt((i * 7) % 13)) * 0.1 - 0.6;
    for (&g, 0..) |*x, i| x.* = @as(f32, @floatFromInt((i * 2) % 5)) * 0.3 - 0.6;
    const operand = struct {
        fn make(data: []const f32, heads: usize, rows: usize) Operand(f32) {
            return .{ .base = data.ptr, .offset = 0, .strides = .{ @intCast(heads * rows * D), @intCast(rows * D), D } };
        }
    };
    const scale: f32 = 0.5;
    const problem: Problem(f32) = .{ .q = operand.make(&q, H, L), .k = operand.make(&k, Hkv, S), .v = operand.make(&v, Hkv, S),
        .mask = .causal, .batch = B, .heads = H, .kv_heads = Hkv, .length = L, .keys = S, .dim = D, .scale = scale };
    var out: [q.len]f32 = undefined;
    (Forward(f32){ .problem = &problem, .out = &out }).run();
    var packed_grads: [q.len + 2 * k.len]f32 = undefined;
    (Backward(f32){ .problem = &problem, .o = &out, .g = &g, .out = &packed_grads }).run();
    // Dense reference in f64.
    var dk_ref: [k.len]f64 = @splat(0);
    var dv_ref: [v.len]f64 = @splat(0);
    for (0..H) |h| for (0..L) |l| {
        var p: [S]f64 = undefined;
        var max: f64 = -std.math.inf(f64);
        for (0..S) |j| {
            var s: f64 = 0;
            for (0..D) |d| s += q[(h * L + l) * D + d] * k[j * D + d];
            p[j] = if (j <= l + S - L) s * scale else -std.math.inf(f64);
            max = @max(max, p[j]);
        }
        var total: f64 = 0;
        for (&p) |*x| {
            x.* = @exp(x.* - max);
            total += x.*;
        }
        for (&p) |*x| x.* /= total;
        const row = (h * L + l) * D;
        var dp: [S]f64 = undefined;
        var delta: f64 = 0;
        for (0..S) |j| {
            dp[j] = 0;
            for (0..D) |d| dp[j] += g[row + d] * v[j * D + d];
            delta += p[j] * dp[j];
        }
        for (0..D) |d| {
            var o: f64 = 0;
            var dq: f64 = 0;
            for (0..S) |j| {
                o += p[j] * v[j * D + d];
                dq += p[j] * (dp[j] - delta) * scale * k[j * D + d];
            }
            try std.testing.expectApproxEqAbs(o, out[row + d], 1e-5);
            try std.testing.expectApproxEqAbs(dq, packed_grads[row + d], 1e-5);
        }
        for (0..S) |j| for (0..D) |d| {
            dk_ref[j * D + d] += p[j] * (dp[j] - delta) * scale * q[row + d];
            dv_ref[j * D + d] += p[j] * g[row + d];
        };
    };
    for (0..k.len) |i| {
        try std.testing.expectApproxEqAbs(dk_ref[i], packed_grads[q.len + i], 1e-5);
        try std.testing.expectApproxEqAbs(dv_ref[i], packed_grads[q.len + k.len + i], 1e-5);
    }
}
