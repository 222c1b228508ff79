//! Matrix products on the CPU: one cache-blocked GEMM for every float dtype. Blocks of A
//! (mc x kc) and B (kc x nc) are packed, converted to the accumulator type (f32 for float32,
//! float16 and bfloat16; f64 for float64), into contiguous aligned panels (read through any
//! strides: transposed views need no copy), and a register-blocked micro-kernel (mr x nr
//! accumulators in two 64-byte vectors per row, `@mulAdd`) sweeps them. Threads take tiles of
//! the output (batch, mc rows, nc columns). float16/bfloat16 accumulate a tile in f32 and
//! round once.
//!
//! The blocked driver is generic over its operand source: `Blocked(T, Source)` asks the
//! source to pack its A and B blocks and to place output tiles, so a convolution can feed it
//! patches gathered on the fly (backend/cpu/conv.zig) with the same micro-kernel.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const dtype_mod = @import("../../dtype.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");

/// The accumulator (and packing) type of a product in `T`.
pub fn Acc(comptime T: type) type {
    return if (T == f64) f64 else f32;
}

/// Accumulator lanes in one 64-byte vector.
fn lanesOf(comptime A: type) comptime_int {
    return 64 / @sizeOf(A);
}

/// Rows of A a micro-kernel call covers.
pub const mr = 6;
/// Columns of B a micro-kernel call covers (two vectors).
pub fn nrOf(comptime A: type) comptime_int {
    return 2 * lanesOf(A);
}
/// `nrOf(f32)`, the panel width of the f32-accumulating sources (conv.zig).
pub const nr = nrOf(f32);
/// Rows of A per packed block (the block stays in L2).
pub const mc = 192;
/// Depth of one packed block.
pub const kc = 128;
/// Columns of B per packed block: 512 f32 or 256 f64 (the same 256 KiB block).
pub fn ncOf(comptime A: type) comptime_int {
    return 2048 / @sizeOf(A);
}

comptime {
    for (.{ f32, f64 }) |A| {
        assert(mc % mr == 0);
        assert(ncOf(A) % nrOf(A) == 0);
    }
    assert(kc > 0);
}

/// One strided operand: matrix `index` of a batch starts at `base + offsets[index]`; element
/// (row, column) is `row_stride * row + column_stride * column` further (element units).
pub fn Operand(comptime T: type) type {
    return struct {
        base: [*]const T,
        offsets: []const i64,
        row_stride: i64,
        column_stride: i64,

        fn at(self: *const @This(), batch: usize, row: usize, column: usize) T {
            const row_i: i64 = @intCast(row);
            const column_i: i64 = @intCast(column);
            const index = self.offsets[batch] + row_i * self.row_stride +
                column_i * self.column_stride;
            return self.base[@intCast(index)];
        }
    };
}

/// `out[b] = a[b] @ b[b]` for every batch index; `out` is row-major, `batch * m * n` elements.
pub fn Problem(comptime T: type) type {
    return struct {
        a: Operand(T),
        b: Operand(T),
        out: [*]T,
        batch: usize,
        m: usize,
        n: usize,
        k: usize,

        const Self = @This();

        /// Output rows are `n` apart; matrix `batch` starts `batch * m * n` in.
        pub fn outRowStride(self: *const Self) usize {
            return self.n;
        }

        pub fn outOffset(self: *const Self, batch: usize) usize {
            return batch * self.m * self.n;
        }

        /// Panels of mr rows: panel q holds, for each depth index, mr values (zero-padded).
        pub fn packA(self: *const Self, batch: usize, row0: usize, depth0: usize, rows: usize,
            depth: usize, out: []Acc(T)) void {
            var panel_row: usize = 0;
            while (panel_row < rows) : (panel_row += mr) {
                const panel = out[panel_row * depth ..][0 .. mr * depth];
                for (0..depth) |kk| {
                    for (0..mr) |r| {
                        const row = panel_row + r;
                        panel[kk * mr + r] = if (row < rows)
                            toAcc(T, self.a.at(batch, row0 + row, depth0 + kk))
                        else
                            0;
                    }
                }
            }
        }

        /// Panels of nr columns: panel q holds, for each depth index, nr values (zero-padded).
        pub fn packB(self: *const Self, batch: usize, depth0: usize, column0: usize,
            depth: usize, columns: usize, out: []Acc(T)) void {
            const nr_t = nrOf(Acc(T));
            var panel_column: usize = 0;
            while (panel_column < columns) : (panel_column += nr_t) {
                const panel = out[panel_column * depth ..][0 .. nr_t * depth];
                const width = @min(nr_t, columns - panel_column);
                for (0..depth) |kk| {
                    const line = panel[kk * nr_t ..][0..nr_t];
                    const column_first = column0 + panel_column;
                    for (0..width) |j| {
                        line[j] = toAcc(T, self.b.at(batch, depth0 + kk, column_first + j));
                    }
                    @memset(line[width..], 0);
                }
            }
        }
    };
}

/// A value in its accumulator type.
pub fn toAcc(comptime T: type, value: T) Acc(T) {
    return if (T == f64) value else toF32(T, value);
}

pub fn toF32(comptime T: type, value: T) f32 {
    return switch (T) {
        f32 => value,
        f16 => @floatCast(value),
        dtype_mod.BFloat16 => value.toF32(),
        else => @compileError("no f32 form"),
    };
}

pub fn fromF32(comptime T: type, value: f32) T {
    return switch (T) {
        f32 => value,
        f16 => @floatCast(value),
        dtype_mod.BFloat16 => dtype_mod.BFloat16.fromF32(value),
        else => @compileError("no f32 form"),
    };
}

/// Computes the product; OutOfMemory if a thread's packing scratch cannot be allocated.
pub fn run(comptime T: type, problem: *const Problem(T)) errors.Error!void {
    assert(problem.a.offsets.len == problem.batch);
    assert(problem.b.offsets.len == problem.batch);
    if (problem.batch == 0 or problem.m == 0 or problem.n == 0) return;
    if (problem.m == 1 and problem.k > 0 and problem.a.column_stride == 1 and problem.b.row_stride == 1 and T != f64) {
        // A vector times transposed weights (a decoding step): every column of B is a
        // contiguous row of the weights; packing panels would convert the whole matrix.
        Gemv(T).run(problem);
        return;
    }
    return Blocked(T, Problem(T)).run(problem);
}

/// out[b][0][n] = a[b][0] . column n of b[b], for columns contiguous along the depth:
/// threads over columns, 16-lane f32 dot products, half types converted in registers.
fn Gemv(comptime T: type) type {
    return struct {
        const lanes = 16;
        const V = @Vector(lanes, f32);

        fn run(problem: *const Problem(T)) void {
            pool.parallelFor(problem.batch * problem.n, 16, problem, range);
        }

        fn load(p: [*]const T) V {
            return simd.loadF32(T, lanes, p);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const p: *const Problem(T) = @ptrCast(@alignCast(context));
            for (start..end) |index| {
                const batch = index / p.n;
                const column = index % p.n;
                const x = p.a.base + @as(usize, @intCast(p.a.offsets[batch]));
                const w = p.b.base + @as(usize, @intCast(p.b.offsets[batch] + @as(i64, @intCast(column)) * p.b.column_stride));
                var acc0: V = @splat(0);
                var acc1: V = @splat(0);
                var kk: usize = 0;
                while (kk + 2 * lanes <= p.k) : (kk += 2 * lanes) {
                    acc0 = @mulAdd(V, load(x + kk), load(w + kk), acc0);
                    acc1 = @mulAdd(V, load(x + kk + lanes), load(w + kk + lanes), acc1);
                }
                var sum = @reduce(.Add, acc0 + acc1);
                while (kk < p.k) : (kk += 1) sum += toF32(T, x[kk]) * toF32(T, w[kk]);
                p.out[batch * p.n + column] = fromF32(T, sum);
            }
        }
    };
}

/// The cache-blocked product over any operand source. `Source` has fields `out: [*]T`,
/// `batch`, `m`, `n`, `k` (usize) and methods `packA`, `packB` (the panel layouts of
/// `Problem.packA` / `Problem.packB`), `outRowStride()` and `outOffset(batch)`: output element
/// (row, column) of matrix `batch` is `out[outOffset(batch) + row * outRowStride() + column]`.
pub fn Blocked(comptime T: type, comptime Source: type) type {
    comptime assert(T == f32 or T == f64 or T == f16 or T == dtype_mod.BFloat16);
    return struct {
        const Self = @This();
        const A = Acc(T);
        const nr_t = nrOf(A);
        const nc_t = ncOf(A);
        const pack_a_len = mc * kc;
        const pack_b_len = kc * nc_t;
        /// float32/float64 write straight into the output; the half types accumulate a tile in
        /// f32.
        const direct = T == A;
        const tile_len = if (direct) 0 else mc * nc_t;
        const scratch_len = pack_a_len + pack_b_len + tile_len;
        const alignment = std.mem.Alignment.fromByteUnits(64);

        problem: *const Source,
        /// Rows per output tile: mc, or fewer (a multiple of mr) so that a small product still
        /// gives every thread a tile.
        row_block: usize,
        m_tiles: usize,
        n_tiles: usize,
        failed: std.atomic.Value(bool) = .init(false),

        pub fn run(problem: *const Source) errors.Error!void {
            if (problem.batch == 0 or problem.m == 0 or problem.n == 0) return;
            const n_tiles = std.math.divCeil(usize, problem.n, nc_t) catch unreachable;
            const threads = pool.threadCount();
            var row_block: usize = mc;
            if (problem.batch * n_tiles < threads) {
                const share = std.math.divCeil(usize, problem.m, threads) catch unreachable;
                row_block = @min(mc, mr * (std.math.divCeil(usize, share, mr) catch unreachable));
            }
            assert(row_block > 0 and row_block <= mc and row_block % mr == 0);
            var self: Self = .{
                .problem = problem,
                .row_block = row_block,
                .m_tiles = std.math.divCeil(usize, problem.m, row_block) catch unreachable,
                .n_tiles = n_tiles,
            };
            const tiles = problem.batch * self.m_tiles * self.n_tiles;
            pool.parallelFor(tiles, 1, &self, runRange);
            if (self.failed.load(.acquire)) return memory.outOfMemory(scratch_len * @sizeOf(A));
        }

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *Self = @ptrCast(@alignCast(@constCast(context)));
            const scratch = memory.allocator.alignedAlloc(A, alignment, scratch_len) catch {
                self.failed.store(true, .release);
                return;
            };
            defer memory.allocator.free(scratch);
            for (start..end) |tile_index| {
                const per_batch = self.m_tiles * self.n_tiles;
                const batch = tile_index / per_batch;
                const rest = tile_index % per_batch;
                const row0 = (rest / self.n_tiles) * self.row_block;
                self.tile(scratch, batch, row0, (rest % self.n_tiles) * nc_t);
            }
        }

        /// The output block at rows `row0..`, columns `column0..` of matrix `batch`.
        fn tile(self: *const Self, scratch: []A, batch: usize, row0: usize, column0: usize) void {
            const p = self.problem;
            const rows = @min(self.row_block, p.m - row0);
            const columns = @min(nc_t, p.n - column0);
            const pack_a = scratch[0..pack_a_len];
            const pack_b = scratch[pack_a_len..][0..pack_b_len];
            const out_row_stride = p.outRowStride();
            const out_start = p.outOffset(batch) + row0 * out_row_stride + column0;
            const c: [*]A, const ldc: usize = if (direct)
                .{ p.out + out_start, out_row_stride }
            else
                .{ scratch[pack_a_len + pack_b_len ..].ptr, nc_t };
            if (p.k == 0) {
                for (0..rows) |i| @memset(c[i * ldc ..][0..columns], 0);
            }
            var depth0: usize = 0;
            while (depth0 < p.k) : (depth0 += kc) {
                const depth = @min(kc, p.k - depth0);
                p.packA(batch, row0, depth0, rows, depth, pack_a);
                p.packB(batch, depth0, column0, depth, columns, pack_b);
                var jr: usize = 0;
                while (jr < columns) : (jr += nr_t) {
                    var ir: usize = 0;
                    while (ir < rows) : (ir += mr) {
                        microKernel(A, depth, pack_a[ir * depth ..].ptr, pack_b[jr * depth ..].ptr,
                            c + ir * ldc + jr, ldc, @min(mr, rows - ir), @min(nr_t, columns - jr),
                            depth0 > 0);
                    }
                }
            }
            if (!direct) {
                for (0..rows) |i| {
                    const row_out = p.out + out_start + i * out_row_stride;
                    for (0..columns) |j| row_out[j] = fromF32(T, c[i * ldc + j]);
                }
            }
        }
    };
}

/// c[0..rows, 0..columns] (+)= a_panel @ b_panel over `depth`; a full mr x nr block in
/// registers.
fn microKernel(comptime A: type, depth: usize, a: [*]const A, b: [*]const A, c: [*]A, ldc: usize,
    rows: usize, columns: usize, accumulate: bool) void {
    const lanes = lanesOf(A);
    const nr_t = nrOf(A);
    const V = @Vector(lanes, A);
    assert(rows >= 1 and rows <= mr);
    assert(columns >= 1 and columns <= nr_t);
    var acc: [mr][2]V = @splat(.{ @splat(0), @splat(0) });
    for (0..depth) |kk| {
        const b0: V = b[kk * nr_t ..][0..lanes].*;
        const b1: V = b[kk * nr_t + lanes ..][0..lanes].*;
        inline for (0..mr) |r| {
            const av: V = @splat(a[kk * mr + r]);
            acc[r][0] = @mulAdd(V, av, b0, acc[r][0]);
            acc[r][1] = @mulAdd(V, av, b1, acc[r][1]);
        }
    }
    if (rows == mr and columns == nr_t) {
        inline for (0..mr) |r| {
            const line = c + r * ldc;
            if (accumulate) {
                const old0: V = line[0..lanes].*;
                const old1: V = line[lanes..][0..lanes].*;
                line[0..lanes].* = acc[r][0] + old0;
                line[lanes..][0..lanes].* = acc[r][1] + old1;
            } else {
                line[0..lanes].* = acc[r][0];
                line[lanes..][0..lanes].* = acc[r][1];
            }
        }
        return;
    }
    var block: [mr][nr_t]A = undefined;
    inline for (0..mr) |r| {
        block[r][0..lanes].* = acc[r][0];
        block[r][lanes..].* = acc[r][1];
    }
    for (0..rows) |r| {
        const line = c + r * ldc;
        for (0..columns) |j| {
            line[j] = if (accumulate) line[j] + block[r][j] else block[r][j];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tests: the naive triple loop is the oracle.

fn naive(comptime T: type, p: *const Problem(T), out: []f64) void {
    for (0..p.batch) |batch| for (0..p.m) |i| for (0..p.n) |j| {
        var sum: f64 = 0;
        for (0..p.k) |kk| {
            const x: f64 = if (T == f64) p.a.at(batch, i, kk) else toF32(T, p.a.at(batch, i, kk));
            const y: f64 = if (T == f64) p.b.at(batch, kk, j) else toF32(T, p.b.at(batch, kk, j));
            sum += x * y;
        }
        out[(batch * p.m + i) * p.n + j] = sum;
    };
}

fn checkAgainstNaive(comptime T: type, batch: usize, m: usize, n: usize, k: usize,
    transpose_a: bool, transpose_b: bool) !void {
    const gpa = std.testing.allocator;
    const a = try gpa.alloc(T, batch * m * k);
    defer gpa.free(a);
    const b = try gpa.alloc(T, batch * k * n);
    defer gpa.free(b);
    for (a, 0..) |*x, i| x.* = fromAny(T, @as(f32, @floatFromInt((i * 7 + 3) % 17)) / 8 - 1);
    for (b, 0..) |*x, i| x.* = fromAny(T, @as(f32, @floatFromInt((i * 5 + 1) % 13)) / 6 - 1);
    const a_offsets = try gpa.alloc(i64, batch);
    defer gpa.free(a_offsets);
    const b_offsets = try gpa.alloc(i64, batch);
    defer gpa.free(b_offsets);
    for (0..batch) |i| {
        a_offsets[i] = @intCast(i * m * k);
        b_offsets[i] = @intCast(i * k * n);
    }
    const out = try gpa.alloc(T, batch * m * n);
    defer gpa.free(out);
    const want = try gpa.alloc(f64, batch * m * n);
    defer gpa.free(want);
    const mi: i64 = @intCast(m);
    const ki: i64 = @intCast(k);
    const ni: i64 = @intCast(n);
    const problem: Problem(T) = .{
        .a = .{ .base = a.ptr, .offsets = a_offsets, .row_stride = if (transpose_a) 1 else ki,
            .column_stride = if (transpose_a) mi else 1 },
        .b = .{ .base = b.ptr, .offsets = b_offsets, .row_stride = if (transpose_b) 1 else ni,
            .column_stride = if (transpose_b) ki else 1 },
        .out = out.ptr,
        .batch = batch,
        .m = m,
        .n = n,
        .k = k,
    };
    try run(T, &problem);
    naive(T, &problem, want);
    const tolerance: f64 = switch (T) {
        f64 => 1e-12,
        f32 => 1e-5,
        else => 1e-2,
    };
    for (out, want) |got, expected| {
        const got_f64: f64 = if (T == f64) got else toF32(T, got);
        const scale = @max(1, @sqrt(@as(f64, @floatFromInt(k))));
        try std.testing.expect(@abs(got_f64 - expected) <= tolerance * scale * @max(1, @abs(expected)));
    }
}

fn fromAny(comptime T: type, value: f32) T {
    return if (T == f64) value else fromF32(T, value);
}

test "gemm matches the naive product at edge sizes, transposed and batched" {
    const sizes = [_][3]usize{ .{ 1, 1, 1 }, .{ 7, 33, 5 }, .{ 97, 513, 257 }, .{ 13, 40, 600 },
        .{ 6, 32, 256 }, .{ 3, 2, 0 } };
    for (sizes) |size| {
        inline for (.{ f32, f64, f16, dtype_mod.BFloat16 }) |T| {
            try checkAgainstNaive(T, 1, size[0], size[1], size[2], false, false);
            try checkAgainstNaive(T, 2, size[0], size[1], size[2], true, true);
        }
        try checkAgainstNaive(f32, 3, size[0], size[1], size[2], true, false);
        try checkAgainstNaive(f32, 1, size[0], size[1], size[2], false, true);
    }
}
