//! The forward attention kernel for many query rows (a prompt, a training batch): blocks of
//! `query_block` queries against blocks of `key_block` keys, both products on gemm.zig's
//! register-blocked micro-kernel (scores = Q Kᵀ, then output += P V), with the online
//! softmax between them. Nothing of size L x S is materialized. Per block the keys and
//! values are packed into the micro-kernel's panels (converted to f32); the queries once per
//! query block, scaled and rounded to their type first as MLX does. All arithmetic is f32.
//!
//! attention.zig's row kernel keeps the decoding step (a query row or a few).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const attention = @import("attention.zig");
const gemm = @import("gemm.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const vmath = @import("vmath.zig");

/// Query rows from which this kernel runs (fewer: attention.zig's row kernel).
pub const rows_min = 16;
/// Query rows per block: four micro-kernel row panels.
pub const query_block = 4 * gemm.mr;
/// Keys per block: four micro-kernel column panels.
const key_block = 4 * gemm.nr;

pub fn Forward(comptime T: type) type {
    return struct {
        problem: *const attention.Problem(T),
        out: [*]T,
        failed: std.atomic.Value(bool) = .init(false),

        const Self = @This();

        /// OutOfMemory if a thread's scratch cannot be allocated.
        pub fn run(self: *Self) errors.Error!void {
            const p = self.problem;
            p.check();
            const blocks = std.math.divCeil(usize, p.length, query_block) catch unreachable;
            pool.parallelFor(p.batch * p.heads * blocks, 1, self, range);
            if (self.failed.load(.acquire)) return memory.outOfMemory(Scratch.words(p.dim) * 4);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *Self = @ptrCast(@alignCast(@constCast(context)));
            const p = self.problem;
            const words = memory.allocator.alignedAlloc(f32, .@"64", Scratch.words(p.dim)) catch {
                self.failed.store(true, .release);
                return;
            };
            defer memory.allocator.free(words);
            const scratch = Scratch.of(words, p.dim);
            const blocks = std.math.divCeil(usize, p.length, query_block) catch unreachable;
            for (start..end) |unit| {
                const b = unit / (p.heads * blocks);
                const h = (unit / blocks) % p.heads;
                const l0 = (unit % blocks) * query_block;
                self.queryBlock(scratch, b, h, l0, @min(query_block, p.length - l0));
            }
        }

        /// Output rows l0 .. l0 + rows of head h of batch b.
        fn queryBlock(self: *const Self, s: Scratch, b: usize, h: usize, l0: usize, rows: usize) void {
            const p = self.problem;
            const dim = p.dim;
            const kvh = h / (p.heads / p.kv_heads);
            const row_panels = std.math.divCeil(usize, rows, gemm.mr) catch unreachable;
            const dim_panels = std.math.divCeil(usize, dim, gemm.nr) catch unreachable;
            // Queries as mr-row panels over the depth `dim` (zero past the rows), scaled and
            // rounded in their own type before the product as MLX does.
            packLines(gemm.mr, p.q, b, h, l0, rows, dim, s.queries);
            for (s.queries[0 .. row_panels * gemm.mr * dim]) |*x| x.* = attention.roundTo(T, x.* * p.scale);
            @memset(s.acc[0 .. query_block * dim], 0);
            var running_max: [query_block]f32 = @splat(-std.math.inf(f32));
            var total: [query_block]f32 = @splat(0);
            const key_end = p.keyEnd(l0, rows);
            var j0: usize = 0;
            while (j0 < key_end) : (j0 += key_block) {
                const count = @min(key_block, key_end - j0);
                packLines(gemm.nr, p.k, b, kvh, j0, count, dim, s.keys);
                // scores[r][c] = q_r . k_c
                gemm.sweep(f32, f32, dim, s.queries, s.keys, s.scores.ptr, key_block, rows, count, false);
                // The online softmax: weights e^(score - running max) into the P panels.
                @memset(s.weights[0 .. row_panels * gemm.mr * count], 0);
                for (0..rows) |r| {
                    const row = s.scores[r * key_block ..][0..count];
                    var block_max: f32 = -std.math.inf(f32);
                    if (p.unmasked(l0 + r, j0, count)) {
                        block_max = attention.rowMax(row);
                    } else {
                        for (row, j0..) |*score, j| {
                            score.* = p.masked(b, h, l0 + r, j, score.*);
                            block_max = @max(block_max, score.*);
                        }
                    }
                    const next_max = @max(running_max[r], block_max);
                    // Every score so far is -inf: nothing to weigh yet (the weights stay 0).
                    if (next_max == -std.math.inf(f32)) continue;
                    const rescale = vmath.exp(running_max[r] - next_max);
                    running_max[r] = next_max;
                    total[r] *= rescale;
                    if (rescale != 1) {
                        for (s.acc[r * dim ..][0..dim]) |*a| a.* *= rescale;
                    }
                    total[r] += attention.expShifted(row, next_max);
                    const panel = s.weights[(r / gemm.mr) * gemm.mr * count ..];
                    for (row, 0..) |weight, c| panel[c * gemm.mr + r % gemm.mr] = weight;
                }
                packValues(p, s.values, b, kvh, j0, count, dim_panels);
                // acc[r] += sum over c of weight[r][c] v_c
                gemm.sweep(f32, f32, count, s.weights, s.values, s.acc.ptr, dim, rows, dim, true);
            }
            for (0..rows) |r| {
                const out = self.out + ((b * p.heads + h) * p.length + l0 + r) * dim;
                // An empty or all -inf row is 0 / 0 = NaN, as MLX's softmax gives.
                const inv = 1 / total[r];
                for (0..dim) |d| simd.storeF32(T, 1, out + d, .{s.acc[r * dim + d] * inv});
            }
        }

        /// Rows first .. first + count of head h (queries or keys, each contiguous over `dim`) as
        /// panels of `width` rows over the depth (panel q, step d: rows q * width .. at
        /// dimension d), zero past the rows: gemm's packing of lines contiguous along the depth.
        fn packLines(comptime width: usize, operand: attention.Operand(T), b: usize, h: usize,
            first: usize, count: usize, dim: usize, out: []f32) void {
            const panels = std.math.divCeil(usize, count, width) catch unreachable;
            assert(panels * width * dim <= out.len);
            const row_stride = operand.strides[2];
            if (row_stride < 0 and count > 1) {
                // Rows in reverse memory order (a flipped view): element by element.
                @memset(out[0 .. panels * width * dim], 0);
                for (0..count) |r| {
                    const line = operand.row(b, h, first + r);
                    const panel = out[(r / width) * width * dim ..];
                    for (0..dim) |d| panel[d * width + r % width] = simd.loadF32(T, 1, line + d)[0];
                }
                return;
            }
            const lines: gemm.Operand(T) = .{ .base = operand.row(b, h, first), .offsets = &.{0},
                .row_stride = if (count > 1) row_stride else @intCast(dim), .column_stride = 1 };
            gemm.packPanels(T, width, &lines, 0, 0, 0, count, dim, .rows, out);
        }

        /// Values j0 .. j0 + count of head kvh as nr-column panels over the keys (panel dp,
        /// step c: dimensions dp * nr .. of value c), zero past the dimension.
        fn packValues(p: *const attention.Problem(T), out: []f32, b: usize, kvh: usize, j0: usize,
            count: usize, dim_panels: usize) void {
            const dim = p.dim;
            assert(dim_panels * gemm.nr * count <= out.len);
            const lanes = 16;
            for (0..count) |c| {
                const value = p.v.row(b, kvh, j0 + c);
                for (0..dim_panels) |dp| {
                    const step = out[(dp * count + c) * gemm.nr ..][0..gemm.nr];
                    const width = @min(gemm.nr, dim - dp * gemm.nr);
                    const source = value + dp * gemm.nr;
                    var x: usize = 0;
                    while (x + lanes <= width) : (x += lanes) step[x..][0..lanes].* = simd.loadF32(T, lanes, source + x);
                    for (x..width) |tail| step[tail] = simd.loadF32(T, 1, source + tail)[0];
                    @memset(step[width..], 0);
                }
            }
        }
    };
}

/// A thread's blocks, carved from one allocation (f32 words, each part 64-byte aligned).
const Scratch = struct {
    /// The query block as row panels: query_block x dim.
    queries: []f32,
    /// A key block as column panels: key_block x dim (dim rounded up to whole panels).
    keys: []f32,
    /// A value block as column panels.
    values: []f32,
    /// Scores of the query block against the key block: query_block x key_block.
    scores: []f32,
    /// The weights as row panels over the keys.
    weights: []f32,
    /// The output rows' running sums: query_block x dim.
    acc: []f32,

    fn padded(dim: usize) usize {
        return std.mem.alignForward(usize, dim, gemm.nr);
    }

    fn sizes(dim: usize) [6]usize {
        const d = padded(dim);
        return .{ query_block * d, key_block * d, key_block * d, query_block * key_block,
            query_block * key_block, query_block * d };
    }

    fn words(dim: usize) usize {
        var sum: usize = 0;
        for (sizes(dim)) |size| sum += size;
        return sum;
    }

    fn of(all: []f32, dim: usize) Scratch {
        assert(all.len >= words(dim));
        const parts = sizes(dim);
        var at: usize = 0;
        var slices: [6][]f32 = undefined;
        for (&slices, parts) |*slice, size| {
            slice.* = all[at..][0..size];
            at += size;
        }
        return .{ .queries = slices[0], .keys = slices[1], .values = slices[2], .scores = slices[3],
            .weights = slices[4], .acc = slices[5] };
    }
};
