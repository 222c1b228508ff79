//! Quantized products with few rows of x (decoding): out[m, n] = sum_k x[m, k] w[n, k] with w
//! quantized [N, K] (transposed weights, MLX's default), at the speed the weights stream in.
//!
//! Each thread takes a range of output columns (weight rows) and reads every packed weight
//! once. A weight row is consumed in chunks of `lanes` lanes (quantized_lanes.zig): one load
//! (and for 3/5/6 bits one byte shuffle) gives the lanes, a shift, mask and conversion per code
//! slot gives `lanes` codes as f32, which meet x permuted once per call into the same order.
//! MLX's affine recipe: sum_k x_k (s q_k + b) = s (x . q) + b sum(x), per group; the per-lane
//! dot products of a chunk are scaled by their group's scale (lanes of one group share it), the
//! biases are one dot product of the row's biases with x's per-group sums. Up to
//! `rows_per_pass` rows of x share each unpacked chunk. Row tails that are not a whole chunk
//! (whole groups) and mxfp4 are decoded group by group (`Matrix.decode`) against natural x.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const gemm = @import("gemm.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const quantized = @import("quantized.zig");
const lanes_mod = @import("quantized_lanes.zig");
const dtype_mod = @import("../../dtype.zig");

const Format = quantized.Format;

/// f32 lanes per vector: one AVX-512 register, else 8 (one AVX2 register, two SSE or NEON).
pub const lanes: comptime_int = if (builtin.cpu.arch == .x86_64 and
    std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f)) 16 else 8;
/// Most rows of x that share one unpacked chunk (their accumulators stay in registers).
pub const rows_per_pass = 4;
/// Products with at most this many rows of x take `MatVec`; more take the GEMM.
pub const rows_max = 8;
/// Fewest weights a thread's share should hold (smaller products stay on one thread).
const weights_per_thread_min = 1 << 15;
/// How far ahead of the chunk being unpacked its row's codes are prefetched: the hardware
/// prefetchers stop at 4 KiB pages, a software prefetch keeps DRAM busy across them (measured:
/// a small gain with rotating matrices larger than L3, within noise when they fit).
const prefetch_distance_bytes = 1024;
/// Weight rows a tile walks over one depth block of x.
const tile_rows = 8;
/// Bytes of x (all rows of a pass) one depth block holds: half of a 32 KiB L1, the rest is
/// for the streaming codes.
const x_block_bytes = 16 << 10;

const V = @Vector(lanes, f32);

/// Codes per chunk of `format` (0 for mxfp4, which is decoded group by group).
pub fn chunkCodes(format: Format) usize {
    if (format.mode != .affine) return 0;
    return switch (format.bits) {
        inline 2, 3, 4, 5, 6, 8 => |bits| lanes_mod.Lanes(bits, lanes).chunk_codes,
        else => unreachable,
    };
}

/// The prefix of a row of `k` values that is unpacked chunk by chunk (the rest is decoded).
pub fn chunkedLength(format: Format, k: usize) usize {
    const chunk = chunkCodes(format);
    return if (chunk == 0) 0 else k - k % chunk;
}

/// One row of x as `MatVec` reads it: `xp` is x in f32, permuted chunk by chunk over the
/// chunked prefix (natural order after it); `xsum` the per-group sums; `line` is scratch.
pub fn prepareRow(comptime T: type, format: Format, x: []const T, line: []f32, xsum: []f32,
    xp: []f32) void {
    const k = x.len;
    const gs = format.group_size;
    assert(line.len == k and xp.len == k);
    assert(xsum.len == k / gs);
    for (line, x) |*v, value| v.* = gemm.toF32(T, value);
    for (xsum, 0..) |*sum, g| {
        var total: f32 = 0;
        for (line[g * gs ..][0..gs]) |v| total += v;
        sum.* = total;
    }
    const chunked = chunkedLength(format, k);
    @memcpy(xp[chunked..], line[chunked..]);
    if (chunked == 0) return;
    switch (format.bits) {
        inline 2, 3, 4, 5, 6, 8 => |bits| {
            const L = lanes_mod.Lanes(bits, lanes);
            var base: usize = 0;
            while (base < chunked) : (base += L.chunk_codes) {
                L.permute(line[base..][0..L.chunk_codes], xp[base..][0..L.chunk_codes]);
            }
        },
        else => unreachable,
    }
}

/// `out[b][m][n] = x[b][m] . w[b][n]` for few rows. `xp` holds the rows of x of every batch
/// matrix (`batch * m` rows of k, see `prepareRow`), `xsum` their per-group sums.
pub fn MatVec(comptime S: type, comptime T: type) type {
    return struct {
        matrix: quantized.Matrix(S),
        /// Weight rows (output columns) per batch matrix.
        n: usize,
        m: usize,
        xp: [*]const f32,
        xsum: [*]const f32,
        out: [*]T,
        /// Per batch matrix: byte offset of its codes, element offset of its params.
        w_offsets: []const usize,
        p_offsets: []const usize,

        const Self = @This();

        /// One weight row: its codes, scales and biases.
        const Row = struct { codes: [*]const u8, scales: [*]const S, biases: ?[*]const S };

        pub fn run(self: *const Self) void {
            assert(self.m >= 1 and self.m <= rows_max);
            assert(self.matrix.k > 0 and self.matrix.k % self.matrix.format.group_size == 0);
            const batch = self.w_offsets.len;
            const grain = @max(1, weights_per_thread_min / self.matrix.k);
            pool.parallelFor(batch * self.n, grain, self, range);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            const f = self.matrix.format;
            // u8 scales are mxfp4's e8m0 codes.
            if (S == u8) return self.columnsDecoded(start, end);
            if (f.mode == .affine) {
                switch (f.bits) {
                    inline 2, 3, 4, 5, 6, 8 => |bits| switch (f.group_size) {
                        inline 32, 64, 128 => |gs| return self.columnsChunked(bits, gs, start, end),
                        else => unreachable,
                    },
                    else => unreachable,
                }
            }
            self.columnsDecoded(start, end);
        }

        fn rowOf(self: *const Self, b: usize, n: usize) Row {
            const mat = &self.matrix;
            const params = self.p_offsets[b] + n * mat.groups();
            return .{
                .codes = mat.codes + self.w_offsets[b] + n * mat.format.rowBytes(mat.k),
                .scales = mat.scales + params,
                .biases = if (mat.biases) |biases| biases + params else null,
            };
        }

        /// Columns `start..end` in tiles of up to `tile_rows` weight rows (one batch matrix
        /// each), up to `rows_per_pass` rows of x at a time.
        fn columnsChunked(self: *const Self, comptime bits: u8, comptime gs: u32, start: usize,
            end: usize) void {
            var column = start;
            while (column < end) {
                const b = column / self.n;
                const n0 = column % self.n;
                const count = @min(tile_rows, end - column, self.n - n0);
                var m0: usize = 0;
                while (m0 < self.m) {
                    // Passes of 4, 2 or 1 rows (3 are 2 + 1: fewer kernels to compile).
                    const left = self.m - m0;
                    const rows: usize = if (left >= rows_per_pass)
                        rows_per_pass
                    else if (left >= 2) 2 else 1;
                    switch (rows) {
                        inline 1, 2, rows_per_pass => |r| self.tile(bits, gs, r, b, n0, count, m0),
                        else => unreachable,
                    }
                    m0 += rows;
                }
                column += count;
            }
        }

        /// Output columns `n0 .. n0 + count` of batch matrix `b` for rows `m0 .. m0 + R` of x.
        /// The depth is walked in blocks whose R rows of x stay in L1 while every weight row of
        /// the tile passes over them.
        fn tile(self: *const Self, comptime bits: u8, comptime gs: u32, comptime R: usize,
            b: usize, n0: usize, count: usize, m0: usize) void {
            assert(count >= 1 and count <= tile_rows);
            const L = lanes_mod.Lanes(bits, lanes);
            const k = self.matrix.k;
            const chunked = k - k % L.chunk_codes;
            const chunk_x_bytes = R * @sizeOf(f32) * L.chunk_codes;
            const block_chunks = comptime @max(1, x_block_bytes / chunk_x_bytes);
            const x_row0 = b * self.m + m0;
            var xs: [R][*]const f32 = undefined;
            inline for (0..R) |r| xs[r] = self.xp + (x_row0 + r) * k;
            var acc: [tile_rows][R]V = undefined;
            for (acc[0..count]) |*a| a.* = @splat(@splat(0));
            const chunks = chunked / L.chunk_codes;
            var c0: usize = 0;
            while (c0 < chunks) : (c0 += block_chunks) {
                const c1 = @min(chunks, c0 + block_chunks);
                for (acc[0..count], 0..) |*a, t| {
                    chunkRange(bits, gs, R, self.rowOf(b, n0 + t), xs, c0, c1, a);
                }
            }
            for (acc[0..count], 0..) |*a, t| {
                var sums: [R]f32 = undefined;
                self.finish(gs, R, self.rowOf(b, n0 + t), xs, x_row0, chunked, a, &sums);
                inline for (0..R) |r| {
                    self.out[(x_row0 + r) * self.n + n0 + t] = gemm.fromF32(T, sums[r]);
                }
            }
        }

        /// acc[r] += per-lane scaled dot products of chunks `c0..c1` of `row` with x row r.
        noinline fn chunkRange(comptime bits: u8, comptime gs: u32, comptime R: usize, row: Row,
            xs: [R][*]const f32, c0: usize, c1: usize, acc_io: *[R]V) void {
            const L = lanes_mod.Lanes(bits, lanes);
            var acc = acc_io.*;
            for (c0..c1) |c| {
                @prefetch(row.codes + c * L.chunk_bytes + prefetch_distance_bytes, .{});
                const words = L.load(row.codes + c * L.chunk_bytes);
                var dot: [R]V = @splat(@splat(0));
                inline for (0..L.per_lane) |j| {
                    const q = L.code(words, j);
                    inline for (0..R) |r| {
                        const xv: V = xs[r][c * L.chunk_codes + j * lanes ..][0..lanes].*;
                        dot[r] = simd.mulAdd(V, xv, q, dot[r]);
                    }
                }
                const scale = scaleLanes(gs, L.chunk_codes, row.scales, c);
                inline for (0..R) |r| acc[r] = simd.mulAdd(V, scale, dot[r], acc[r]);
            }
            acc_io.* = acc;
        }

        /// The sums of one weight row: lanes, biases times x's group sums, and the decoded
        /// tail (whole groups past `chunked`, scale and bias included) against natural x.
        fn finish(self: *const Self, comptime gs: u32, comptime R: usize, row: Row,
            xs: [R][*]const f32, x_row0: usize, chunked: usize, acc: *const [R]V,
            out: *[R]f32) void {
            const k = self.matrix.k;
            const groups = k / gs;
            const chunked_groups = chunked / gs;
            inline for (0..R) |r| {
                const x_sums = self.xsum + (x_row0 + r) * groups;
                out[r] = sumLanes(acc[r]) + dotParams(row.biases.?, x_sums, chunked_groups);
            }
            if (chunked == k) return;
            var buffer: [128]f32 = undefined;
            const local = self.matrixAt(row);
            for (chunked_groups..groups) |g| {
                const values = buffer[0..gs];
                local.decode(0, g * gs, values);
                inline for (0..R) |r| out[r] += dotF32(xs[r][g * gs ..][0..gs], values);
            }
        }

        /// The scale of every lane of chunk `c`: lanes of one group share their group's.
        inline fn scaleLanes(comptime gs: u32, comptime chunk_codes: usize, scales: [*]const S,
            c: usize) V {
            if (chunk_codes <= gs) {
                return @splat(gemm.toF32(S, scales[c * chunk_codes / gs]));
            }
            const groups = chunk_codes / gs;
            const loaded: @Vector(groups, f32) = simd.loadF32(S, groups, scales + c * groups);
            const mask: [lanes]i32 = comptime blk: {
                @setEvalBranchQuota(20_000);
                var out: [lanes]i32 = undefined;
                for (0..lanes) |i| out[i] = @intCast(i / (lanes / groups));
                break :blk out;
            };
            return @shuffle(f32, loaded, undefined, mask);
        }

        /// A one-row matrix over `row` (for `decode`).
        fn matrixAt(self: *const Self, row: Row) quantized.Matrix(S) {
            var local = self.matrix;
            local.codes = row.codes;
            local.scales = row.scales;
            local.biases = row.biases;
            return local;
        }

        /// Any format: a group decoded to f32, then dotted with each row of x (natural order).
        fn columnsDecoded(self: *const Self, start: usize, end: usize) void {
            const mat = &self.matrix;
            const gs = mat.format.group_size;
            const k = mat.k;
            var buffer: [128]f32 = undefined;
            for (start..end) |column| {
                const b = column / self.n;
                const n = column % self.n;
                const local = self.matrixAt(self.rowOf(b, n));
                var acc: [rows_max]f32 = @splat(0);
                for (0..mat.groups()) |g| {
                    const values = buffer[0..gs];
                    local.decode(0, g * gs, values);
                    for (0..self.m) |r| {
                        acc[r] += dotF32(self.xp[(b * self.m + r) * k + g * gs ..][0..gs], values);
                    }
                }
                for (0..self.m) |r| {
                    self.out[(b * self.m + r) * self.n + n] = gemm.fromF32(T, acc[r]);
                }
            }
        }

        /// sum_g params[g] * sums[g] for g < count.
        fn dotParams(params: [*]const S, sums: [*]const f32, count: usize) f32 {
            const W = 16;
            var acc: @Vector(W, f32) = @splat(0);
            var g: usize = 0;
            while (g + W <= count) : (g += W) {
                const p = simd.loadF32(S, W, params + g);
                const s: @Vector(W, f32) = sums[g..][0..W].*;
                acc = simd.mulAdd(@Vector(W, f32), p, s, acc);
            }
            var total = @reduce(.Add, acc);
            while (g < count) : (g += 1) total += gemm.toF32(S, params[g]) * sums[g];
            return total;
        }
    };
}

/// The sum of a vector's lanes, halving (not a serial chain).
fn sumLanes(v: V) f32 {
    const half = lanes / 2;
    const folded = lowHalf(lanes, v) + highHalf(lanes, v);
    return @reduce(.Add, lowHalf(half, folded) + highHalf(half, folded));
}

fn lowHalf(comptime n: comptime_int, v: @Vector(n, f32)) @Vector(n / 2, f32) {
    return @shuffle(f32, v, undefined, std.simd.iota(i32, n / 2));
}

fn highHalf(comptime n: comptime_int, v: @Vector(n, f32)) @Vector(n / 2, f32) {
    const offset: @Vector(n / 2, i32) = @splat(n / 2);
    return @shuffle(f32, v, undefined, std.simd.iota(i32, n / 2) + offset);
}

fn dotF32(a: []const f32, b: []const f32) f32 {
    assert(a.len == b.len);
    var acc: V = @splat(0);
    var i: usize = 0;
    while (i + lanes <= a.len) : (i += lanes) {
        const va: V = a[i..][0..lanes].*;
        const vb: V = b[i..][0..lanes].*;
        acc = simd.mulAdd(V, va, vb, acc);
    }
    var sum = @reduce(.Add, acc);
    while (i < a.len) : (i += 1) sum += a[i] * b[i];
    return sum;
}

// ---------------------------------------------------------------------------------------------
// Tests: the oracle is the f64 sum of x times the dequantized weights.

fn checkMatVec(comptime S: type, format: Format, batch: usize, m: usize, n: usize, k: usize) !void {
    const gpa = std.testing.allocator;
    const groups = k / format.group_size;
    const row_bytes = format.rowBytes(k);
    const codes = try gpa.alloc(u8, batch * n * row_bytes);
    defer gpa.free(codes);
    for (codes, 0..) |*c, i| c.* = @truncate(i *% 2654435761 >> 7);
    const scales = try gpa.alloc(S, batch * n * groups);
    defer gpa.free(scales);
    const biases = try gpa.alloc(S, batch * n * groups);
    defer gpa.free(biases);
    for (scales, biases, 0..) |*s, *b, i| {
        s.* = gemm.fromF32(S, @as(f32, @floatFromInt(i % 7 + 1)) / 64);
        b.* = gemm.fromF32(S, @as(f32, @floatFromInt(i % 5)) / 8 - 0.25);
    }
    const x = try gpa.alloc(S, batch * m * k);
    defer gpa.free(x);
    for (x, 0..) |*v, i| v.* = gemm.fromF32(S, @as(f32, @floatFromInt((i * 7 + 3) % 17)) / 8 - 1);
    const xp = try gpa.alloc(f32, batch * m * (k + groups + 1) + k);
    defer gpa.free(xp);
    const xsum = xp[batch * m * k ..][0 .. batch * m * groups];
    const line = xp[batch * m * (k + groups) ..][0..k];
    for (0..batch * m) |row| {
        prepareRow(S, format, x[row * k ..][0..k], line, xsum[row * groups ..][0..groups],
            xp[row * k ..][0..k]);
    }
    const out = try gpa.alloc(S, batch * m * n);
    defer gpa.free(out);
    var w_offsets: [2]usize = undefined;
    var p_offsets: [2]usize = undefined;
    for (0..batch) |b| {
        w_offsets[b] = b * n * row_bytes;
        p_offsets[b] = b * n * groups;
    }
    const job: MatVec(S, S) = .{
        .matrix = .{ .codes = codes.ptr, .scales = scales.ptr, .biases = biases.ptr,
            .format = format, .k = k },
        .n = n, .m = m, .xp = xp.ptr, .xsum = xsum.ptr, .out = out.ptr,
        .w_offsets = w_offsets[0..batch], .p_offsets = p_offsets[0..batch],
    };
    job.run();
    const tolerance: f64 = if (S == f32) 1e-5 else 4e-3;
    for (0..batch) |b| for (0..m) |r| for (0..n) |j| {
        var want: f64 = 0;
        var magnitude: f64 = 0;
        const row_codes = codes[w_offsets[b] + j * row_bytes ..].ptr;
        for (0..k) |i| {
            const p = p_offsets[b] + j * groups + i / format.group_size;
            const q: f64 = @floatFromInt(switch (format.bits) {
                inline 2, 3, 4, 5, 6, 8 => |bits| quantized.extract(bits, row_codes, i),
                else => unreachable,
            });
            const w = q * gemm.toF32(S, scales[p]) + gemm.toF32(S, biases[p]);
            const term = gemm.toF32(S, x[(b * m + r) * k + i]) * w;
            want += term;
            magnitude += @abs(term);
        }
        const got: f64 = gemm.toF32(S, out[(b * m + r) * n + j]);
        if (@abs(got - want) > tolerance * @max(1, magnitude)) {
            std.debug.print("bits {d} gs {d} m {d} n {d} k {d}: [{d}][{d}][{d}] " ++
                "got {d}, want {d}\n", .{ format.bits, format.group_size, m, n, k, b, r, j, got,
                want });
            return error.TestExpectedEqual;
        }
    };
}

test "MatVec matches the dequantized product for every width, group size and row count" {
    inline for (.{ 2, 3, 4, 5, 6, 8 }) |bits| {
        for ([_]u32{ 32, 64, 128 }) |gs| {
            const format: Format = .{ .group_size = gs, .bits = bits, .mode = .affine };
            const chunk = chunkCodes(format);
            // Whole chunks, chunks plus a decoded tail, and a row shorter than a chunk.
            const depths = [_]usize{ 2 * @max(chunk, gs), 2 * @max(chunk, gs) + gs, gs };
            for (depths) |k| {
                for ([_]usize{ 1, 3, 8 }) |m| try checkMatVec(f32, format, 1, m, 37, k);
            }
        }
    }
}

test "MatVec walks depth blocks and partial tiles" {
    // Past one block of x per pass (16 KiB), with a decoded tail; 19 rows = 8 + 8 + 3.
    for ([_]u8{ 3, 4, 8 }) |bits| {
        const format: Format = .{ .group_size = 64, .bits = bits, .mode = .affine };
        for ([_]usize{ 1, 4, 6 }) |m| try checkMatVec(f32, format, 1, m, 19, 4096 + 64);
    }
}

test "MatVec handles half types and batches" {
    const format: Format = .{ .group_size = 64, .bits = 4, .mode = .affine };
    try checkMatVec(f16, format, 2, 5, 19, 320);
    try checkMatVec(dtype_mod.BFloat16, format, 1, 2, 33, 256);
    try checkMatVec(f32, format, 2, 4, 3, 128);
}
