//! Matrix products on the CPU: one cache-blocked GEMM for every float dtype (GotoBLAS's loop
//! nest). Each thread owns a block of the output (a batch entry, a range of rows or of
//! columns); for each kc-deep slice it packs B (kc x nc, converted to the accumulator type:
//! f32 for float32, float16 and bfloat16, f64 for float64) once into nr-wide panels and A
//! (mc x kc) into mr-high panels, read through any strides (transposed views need no copy),
//! and a register-blocked micro-kernel (mr x nr accumulators, fused multiply-adds) sweeps them. The
//! register block follows the target: 12 x 32 f32 with AVX-512 (24 of its 32 vector
//! registers), 6 x 16 with AVX2, 6 x 8 otherwise. float16/bfloat16 accumulate a block of rows
//! in f32 and round once.
//!
//! The blocked driver is generic over its operand source: `Blocked(T, Source)` asks the
//! source to pack its A and B blocks and to place output tiles, so a convolution can feed it
//! patches gathered on the fly (backend/cpu/conv.zig) with the same micro-kernel.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const dtype_mod = @import("../../dtype.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const pairs = @import("gemm_pairs.zig");
const amx = @import("gemm_amx.zig");

/// The accumulator (and packing) type of a product in `T`.
pub fn Acc(comptime T: type) type {
    return if (T == f64) f64 else f32;
}

const is_x86 = builtin.cpu.arch == .x86_64 or builtin.cpu.arch == .x86;
const has_avx512 = is_x86 and std.Target.x86.featureSetHas(builtin.cpu.features, .avx512f);
const has_avx = is_x86 and std.Target.x86.featureSetHas(builtin.cpu.features, .avx);

/// Bytes of one vector register of the target.
const register_bytes = if (has_avx512) 64 else if (has_avx) 32 else 16;

/// Accumulator lanes in one register.
fn lanesOf(comptime A: type) comptime_int {
    return register_bytes / @sizeOf(A);
}

/// Vectors of B (and of C) per micro-kernel row.
pub const row_vectors = 2;
/// Rows of A a micro-kernel call covers: with 32 vector registers (AVX-512, NEON) 12 rows
/// (24 accumulators); with 16 (AVX2, SSE) 6 rows (12 accumulators).
pub const mr = if (has_avx512) 12 else if (builtin.cpu.arch == .aarch64) 8 else 6;
/// Columns of B a micro-kernel call covers.
pub fn nrOf(comptime A: type) comptime_int {
    return row_vectors * lanesOf(A);
}
/// `nrOf(f32)`, the panel width of the f32-accumulating sources (conv.zig).
pub const nr = nrOf(f32);
/// Rows of A per packed block (mc x kc stays in L2 beside the B block).
pub const mc = mr * 16;
/// Depth of one packed block.
pub const kc = 256;
/// Most columns of B per packed block: 2048 f32 or 1024 f64 (2 MiB at kc = 256).
pub fn ncOf(comptime A: type) comptime_int {
    return 8192 / @sizeOf(A);
}

/// Columns of B per packed block on this host. Each nr-wide panel of the block is read once
/// per A block and then stays in L1; the A block is read once per panel and must stay in
/// L2. Where L2 holds 2 MiB (Sapphire Rapids) half a block (1 MiB) stays there beside A:
/// f32 4096^2 ran 295 -> 330 GFLOP/s. With a smaller L2 (Zen 4, 1 MiB) the whole block
/// streams from L3, which was measured faster there than halving it.
fn blockColumns(comptime A: type) usize {
    l2_once.call();
    return if (l2_bytes >= 2 << 20) ncOf(A) / 2 else ncOf(A);
}

var l2_once = std.once(readL2Size);
/// Bytes of the first core's L2 cache; 0 where unknown.
var l2_bytes: usize = 0;

/// Linux reports cache sizes in sysfs ("2048K"); elsewhere the size stays unknown.
fn readL2Size() void {
    if (builtin.os.tag != .linux) return;
    var buffer: [32]u8 = undefined;
    const text = std.fs.cwd().readFile("/sys/devices/system/cpu/cpu0/cache/index2/size", &buffer) catch return;
    const trimmed = std.mem.trim(u8, text, " \n");
    if (trimmed.len < 2 or trimmed[trimmed.len - 1] != 'K') return;
    const kib = std.fmt.parseInt(usize, trimmed[0 .. trimmed.len - 1], 10) catch return;
    l2_bytes = kib << 10;
}
/// Rows of a float16/bfloat16 product accumulated in f32 before rounding.
const rows_per_chunk_half = mc;

comptime {
    for (.{ f32, f64 }) |A| {
        assert(mc % mr == 0);
        assert(ncOf(A) % nrOf(A) == 0);
    }
    assert(kc > 0);
}

/// The element type of a product's packed panels: its accumulator type, or bfloat16 pairs
/// (gemm_pairs.zig) where the target multiplies those natively.
pub fn PackedOf(comptime T: type) type {
    return if (T == dtype_mod.BFloat16 and pairs.available) pairs.Pair else Acc(T);
}

/// Depth steps of a packed panel holding `depth` indices.
fn packedSteps(comptime P: type, depth: usize) usize {
    return if (P == pairs.Pair) pairs.steps(depth) else depth;
}

/// Which lines of an operand a panel holds: rows (A) or columns (B).
pub const Along = enum { rows, columns };

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
        pub const Packed = PackedOf(T);

        /// Output rows are `n` apart; matrix `batch` starts `batch * m * n` in.
        pub fn outRowStride(self: *const Self) usize {
            return self.n;
        }

        pub fn outOffset(self: *const Self, batch: usize) usize {
            return batch * self.m * self.n;
        }

        /// Panels of mr rows: panel q holds, for each depth step, mr values (zero-padded).
        pub fn packA(self: *const Self, batch: usize, row0: usize, depth0: usize, rows: usize,
            depth: usize, out: []Packed) void {
            if (Packed == pairs.Pair) {
                pairs.pack(mr, &self.a, batch, row0, depth0, rows, depth, pairs.steps(depth), .rows, out);
            } else {
                packPanels(T, mr, &self.a, batch, row0, depth0, rows, depth, .rows, out);
            }
        }

        /// Panels of nr columns: panel q holds, for each depth step, nr values (zero-padded).
        pub fn packB(self: *const Self, batch: usize, depth0: usize, column0: usize,
            depth: usize, columns: usize, out: []Packed) void {
            if (Packed == pairs.Pair) {
                pairs.pack(nr, &self.b, batch, column0, depth0, columns, depth, pairs.steps(depth), .columns, out);
            } else {
                packPanels(T, nrOf(Acc(T)), &self.b, batch, column0, depth0, columns, depth, .columns, out);
            }
        }
    };
}

/// Packs `count` rows (A, `along` .rows) or columns (B, .columns) of `operand` from `first`,
/// over depth `depth0..depth0 + depth`, into panels of `width`: panel q holds, for each depth
/// index kk, the `width` values of lines q*width.. at kk (zero past `count`). The loop runs
/// along whichever of the two directions is contiguous in memory.
pub fn packPanels(comptime T: type, comptime width: usize, operand: *const Operand(T), batch: usize,
    first: usize, depth0: usize, count: usize, depth: usize, comptime along: Along,
    out: []Acc(T)) void {
    // Stride between lines (the packed direction) and between depth indices.
    const line_stride = if (along == .rows) operand.row_stride else operand.column_stride;
    const depth_stride = if (along == .rows) operand.column_stride else operand.row_stride;
    const base = operand.base + @as(usize, @intCast(operand.offsets[batch]));
    var panel_first: usize = 0;
    while (panel_first < count) : (panel_first += width) {
        const panel = out[panel_first * depth ..][0 .. width * depth];
        const lines = @min(width, count - panel_first);
        const start: i64 = @as(i64, @intCast(first + panel_first)) * line_stride +
            @as(i64, @intCast(depth0)) * depth_stride;
        if (line_stride == 1 and lines == width) {
            // The panel's lines are contiguous: one vector per depth index.
            for (0..depth) |kk| {
                const source = base + @as(usize, @intCast(start + @as(i64, @intCast(kk)) * depth_stride));
                panel[kk * width ..][0..width].* = loadAcc(T, width, source);
            }
            continue;
        }
        if (depth_stride == 1 and lines == width) {
            // Each line is contiguous along the depth: read the `width` lines side by side,
            // writing the panel in order (a strided store loop would become a scatter).
            var sources: [width][*]const T = undefined;
            inline for (0..width) |line| {
                sources[line] = base + @as(usize, @intCast(start + @as(i64, @intCast(line)) * line_stride));
            }
            var kk: usize = 0;
            if (Acc(T) == f32) {
                // 8 x 8 blocks transposed in registers (LLVM turns the loop below into
                // scatters, which took 20% of a transformer's forward on Sapphire Rapids); a
                // last group of fewer than 8 lines reads its last line again and stores
                // only its own lanes.
                while (kk + 8 <= depth) : (kk += 8) {
                    inline for (0..comptime std.math.divCeil(usize, width, 8) catch unreachable) |group| {
                        const group_lines = @min(8, width - group * 8);
                        var block: [8]@Vector(8, f32) = undefined;
                        inline for (&block, 0..) |*row, i| {
                            row.* = loadAcc(T, 8, sources[group * 8 + @min(i, group_lines - 1)] + kk);
                        }
                        const columns = transpose8(block);
                        inline for (columns, 0..) |column, t| {
                            const lanes_kept: [group_lines]f32 = @as([8]f32, column)[0..group_lines].*;
                            panel[(kk + t) * width + group * 8 ..][0..group_lines].* = lanes_kept;
                        }
                    }
                }
            }
            for (kk..depth) |step| {
                const out_line = panel[step * width ..][0..width];
                inline for (0..width) |line| out_line[line] = toAcc(T, sources[line][step]);
            }
            continue;
        }
        for (0..lines) |line| {
            const line_start = start + @as(i64, @intCast(line)) * line_stride;
            if (depth_stride == 1) {
                const source = base + @as(usize, @intCast(line_start));
                for (0..depth) |kk| panel[kk * width + line] = toAcc(T, source[kk]);
            } else {
                for (0..depth) |kk| {
                    const index = line_start + @as(i64, @intCast(kk)) * depth_stride;
                    panel[kk * width + line] = toAcc(T, base[@intCast(index)]);
                }
            }
        }
        for (lines..width) |line| {
            for (0..depth) |kk| panel[kk * width + line] = 0;
        }
    }
}

/// The transpose of 8 rows of 8: three stages of swapping s x s blocks (s = 4, 2, 1), each
/// one two-input shuffle per row.
inline fn transpose8(rows: [8]@Vector(8, f32)) [8]@Vector(8, f32) {
    var m = rows;
    inline for (.{ 4, 2, 1 }) |s| {
        var next: [8]@Vector(8, f32) = undefined;
        inline for (0..8) |r| {
            if (r & s != 0) continue;
            comptime var low: [8]i32 = undefined;
            comptime var high: [8]i32 = undefined;
            inline for (0..8) |j| {
                // Row r keeps its lanes outside the block and takes row r + s's inside.
                low[j] = if (j & s == 0) j else ~@as(i32, j - s);
                high[j] = if (j & s == 0) j + s else ~@as(i32, j);
            }
            next[r] = @shuffle(f32, m[r], m[r + s], low);
            next[r + s] = @shuffle(f32, m[r], m[r + s], high);
        }
        m = next;
    }
    return m;
}

test "transpose8 transposes" {
    var rows: [8]@Vector(8, f32) = undefined;
    for (0..8) |r| for (0..8) |c| {
        rows[r][c] = @floatFromInt(r * 8 + c);
    };
    const columns = transpose8(rows);
    for (0..8) |t| for (0..8) |r| try std.testing.expectEqual(@as(f32, @floatFromInt(r * 8 + t)), columns[t][r]);
}

/// `n` contiguous values of `T` in the accumulator type.
inline fn loadAcc(comptime T: type, comptime n: comptime_int, p: [*]const T) @Vector(n, Acc(T)) {
    if (T == f64) return p[0..n].*;
    return simd.loadF32(T, n, p);
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

/// Rows of A up to which a product with columns of B contiguous along the depth skips
/// packing (`Gemv`): measured at k = 4096, n = 14336 (f32 and bf16), Gemv takes 0.4x the
/// blocked kernel's time at 8 rows and 0.7x at 64 (both near peak from 64 rows on).
const gemv_rows_max = 64;
/// Bytes of A's rows past which Gemv (over more than one row tile) would stream them from
/// beyond L2 once per column block: then the blocked kernel runs.
const gemv_rows_bytes_max = 1 << 20;
/// Rows of one Gemv tile.
const gemv_row_tile = 4;

/// Whether `Gemv` computes this product.
fn gemvFits(comptime T: type, problem: *const Problem(T)) bool {
    if (T == f64 or problem.k == 0) return false;
    if (problem.a.column_stride != 1 or problem.b.row_stride != 1) return false;
    if (problem.m <= gemv_row_tile) return true;
    return problem.m <= gemv_rows_max and problem.m * problem.k * @sizeOf(T) <= gemv_rows_bytes_max;
}

/// Computes the product; OutOfMemory if a thread's packing scratch cannot be allocated.
pub fn run(comptime T: type, problem: *const Problem(T)) errors.Error!void {
    assert(problem.a.offsets.len == problem.batch);
    assert(problem.b.offsets.len == problem.batch);
    if (problem.batch == 0 or problem.m == 0 or problem.n == 0) return;
    if (T == dtype_mod.BFloat16 and amx.available and problem.m > gemv_row_tile and amx.enabled()) {
        // bfloat16 on AMX tiles; up to one Gemv row tile (a decoding step) reads the weights
        // at memory speed without them.
        return amx.run(problem);
    }
    if (T != f64 and gemvFits(T, problem)) {
        // A few rows times transposed weights (a decoding step, a small batch): every column
        // of B is a contiguous row of the weights.
        Gemv(T).run(problem);
        return;
    }
    if (problem.m == 1 and problem.k > 0 and problem.b.column_stride == 1 and T != f64) {
        // A vector times row-major weights: rows of B scaled and summed, no packing.
        VecMat(T).run(problem);
        return;
    }
    return Blocked(T, Problem(T)).run(problem);
}

/// out[b][0] = sum over k of a[b][0][k] * row k of b[b], for rows contiguous along the
/// columns: threads over blocks of 128 columns, the block's sums in eight f32 registers.
fn VecMat(comptime T: type) type {
    return struct {
        const lanes = 16;
        const vectors = 8;
        const block_columns = lanes * vectors;
        const V = @Vector(lanes, f32);

        fn run(problem: *const Problem(T)) void {
            const blocks = std.math.divCeil(usize, problem.n, block_columns) catch unreachable;
            pool.parallelFor(problem.batch * blocks, 1, problem, range);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const p: *const Problem(T) = @ptrCast(@alignCast(context));
            const blocks = std.math.divCeil(usize, p.n, block_columns) catch unreachable;
            for (start..end) |index| {
                const batch = index / blocks;
                const column0 = (index % blocks) * block_columns;
                const width = @min(block_columns, p.n - column0);
                const out = p.out + batch * p.n + column0;
                const b_base = p.b.base + @as(usize, @intCast(p.b.offsets[batch] + @as(i64, @intCast(column0))));
                if (width == block_columns) {
                    var acc: [vectors]V = @splat(@splat(0));
                    for (0..p.k) |kk| {
                        const x: V = @splat(toF32(T, p.a.at(batch, 0, kk)));
                        const row = b_base + @as(usize, @intCast(@as(i64, @intCast(kk)) * p.b.row_stride));
                        inline for (0..vectors) |v| {
                            acc[v] = simd.mulAdd(V, x, simd.loadF32(T, lanes, row + v * lanes), acc[v]);
                        }
                    }
                    inline for (0..vectors) |v| simd.storeF32(T, lanes, out + v * lanes, acc[v]);
                    continue;
                }
                var acc: [block_columns]f32 = @splat(0);
                for (0..p.k) |kk| {
                    const x = toF32(T, p.a.at(batch, 0, kk));
                    const row = b_base + @as(usize, @intCast(@as(i64, @intCast(kk)) * p.b.row_stride));
                    for (0..width) |j| acc[j] += x * toF32(T, row[j]);
                }
                for (0..width) |j| out[j] = fromF32(T, acc[j]);
            }
        }
    };
}

/// out[b][i][n] = row i of a[b] . column n of b[b], for a few rows (at most `gemv_rows_max`)
/// whose rows of A and columns of B are contiguous along the depth (a decoding step or a
/// small batch times transposed weights): packing panels would convert the whole matrix for
/// little reuse. Threads take blocks of `column_tile` columns; each block is read from memory
/// once and swept by tiles of up to `row_tile` rows (the block stays in L2 between them), a
/// tile's row_tile x column_tile dot products in 16-lane f32 registers, half types converted
/// in registers.
fn Gemv(comptime T: type) type {
    return struct {
        const lanes = 16;
        const V = @Vector(lanes, f32);
        const row_tile = gemv_row_tile;
        const column_tile = 4;
        const pair_dot = T == dtype_mod.BFloat16 and pairs.available;

        fn run(problem: *const Problem(T)) void {
            assert(gemvFits(T, problem));
            const blocks = std.math.divCeil(usize, problem.n, column_tile) catch unreachable;
            pool.parallelFor(problem.batch * blocks, 4, problem, range);
        }

        fn load(p: [*]const T) V {
            return simd.loadF32(T, lanes, p);
        }

        fn range(context: *const anyopaque, start: usize, end: usize) void {
            const p: *const Problem(T) = @ptrCast(@alignCast(context));
            const blocks = std.math.divCeil(usize, p.n, column_tile) catch unreachable;
            for (start..end) |index| {
                const batch = index / blocks;
                const column0 = (index % blocks) * column_tile;
                const a_base = p.a.base + @as(usize, @intCast(p.a.offsets[batch]));
                const b_base = p.b.base + @as(usize, @intCast(p.b.offsets[batch]));
                const out = p.out + p.outOffset(batch);
                var row0: usize = 0;
                while (row0 < p.m) : (row0 += row_tile) {
                    switch (@min(row_tile, p.m - row0)) {
                        inline 1...row_tile => |rows| {
                            if (column0 + column_tile <= p.n) {
                                tile(rows, column_tile, p, a_base, b_base, out, row0, column0);
                            } else {
                                for (column0..p.n) |column| tile(rows, 1, p, a_base, b_base, out, row0, column);
                            }
                        },
                        else => unreachable,
                    }
                }
            }
        }

        /// Output rows row0.. (rows) and columns column0.. (columns) of one matrix.
        inline fn tile(comptime rows: usize, comptime columns: usize, p: *const Problem(T),
            a_base: [*]const T, b_base: [*]const T, out: [*]T, row0: usize, column0: usize) void {
            var x: [rows][*]const T = undefined;
            inline for (0..rows) |r| {
                x[r] = a_base + @as(usize, @intCast(@as(i64, @intCast(row0 + r)) * p.a.row_stride));
            }
            var w: [columns][*]const T = undefined;
            inline for (0..columns) |c| {
                w[c] = b_base + @as(usize, @intCast(@as(i64, @intCast(column0 + c)) * p.b.column_stride));
            }
            var acc: [rows][columns]V = @splat(@splat(@splat(0)));
            var kk: usize = 0;
            if (pair_dot) {
                // bfloat16 on AVX512-BF16: 32 depth indices (16 pairs) per instruction.
                while (kk + 2 * lanes <= p.k) : (kk += 2 * lanes) {
                    var wv: [columns]pairs.Lanes = undefined;
                    inline for (0..columns) |c| wv[c] = pairs.load(w[c] + kk);
                    inline for (0..rows) |r| {
                        const xv = pairs.load(x[r] + kk);
                        inline for (0..columns) |c| acc[r][c] = pairs.dot(acc[r][c], xv, wv[c]);
                    }
                }
            }
            while (kk + lanes <= p.k) : (kk += lanes) {
                var wv: [columns]V = undefined;
                inline for (0..columns) |c| wv[c] = load(w[c] + kk);
                inline for (0..rows) |r| {
                    const xv = load(x[r] + kk);
                    inline for (0..columns) |c| acc[r][c] = simd.mulAdd(V, xv, wv[c], acc[r][c]);
                }
            }
            inline for (0..rows) |r| {
                inline for (0..columns) |c| {
                    var sum = @reduce(.Add, acc[r][c]);
                    for (kk..p.k) |tail| sum += toF32(T, x[r][tail]) * toF32(T, w[c][tail]);
                    out[(row0 + r) * p.outRowStride() + column0 + c] = fromF32(T, sum);
                }
            }
        }
    };
}

/// The cache-blocked product over any operand source. `Source` has fields `out: [*]T`,
/// `batch`, `m`, `n`, `k` (usize) and methods `packA`, `packB` (the panel layouts of
/// `Problem.packA` / `Problem.packB`, depth at most kc), `outRowStride()` and
/// `outOffset(batch)`: output element (row, column) of matrix `batch` is
/// `out[outOffset(batch) + row * outRowStride() + column]`.
pub fn Blocked(comptime T: type, comptime Source: type) type {
    comptime assert(T == f32 or T == f64 or T == f16 or T == dtype_mod.BFloat16);
    return struct {
        const Self = @This();
        const A = Acc(T);
        /// The packed panels' element: A, or bfloat16 pairs (gemm_pairs.zig).
        const P = Source.Packed;
        const nr_t = nrOf(A);
        const nc_t = ncOf(A);
        const pack_a_len = mc * kc;
        const pack_b_len = kc * nc_t;
        /// float32/float64 accumulate straight into the output; the half types into an f32
        /// block of rows, rounded once.
        const direct = T == A;
        const chunk_rows_max = if (direct) std.math.maxInt(usize) else rows_per_chunk_half;
        const chunk_len = if (direct) 0 else rows_per_chunk_half * nc_t;
        const scratch_len = pack_a_len + pack_b_len + chunk_len;
        comptime {
            assert(P == A or (P == pairs.Pair and A == f32));
            assert(@sizeOf(P) == @sizeOf(A));
        }
        const alignment = std.mem.Alignment.fromByteUnits(64);

        problem: *const Source,
        /// Each matrix is split into row_parts x column_parts blocks, one work unit each.
        row_parts: usize,
        column_parts: usize,
        /// Rows (a multiple of mr) and columns (a multiple of nr) of a block.
        rows_per_part: usize,
        columns_per_part: usize,
        failed: std.atomic.Value(bool) = .init(false),

        pub fn run(problem: *const Source) errors.Error!void {
            if (problem.batch == 0 or problem.m == 0 or problem.n == 0) return;
            const threads = pool.threadCount();
            // Enough blocks for every thread; a split along the columns repacks A in each
            // block and one along the rows B, so split the dimension whose other operand is
            // the smaller one.
            const splits = if (problem.batch >= threads) 1 else std.math.divCeil(usize, threads, problem.batch) catch unreachable;
            const row_panels = std.math.divCeil(usize, problem.m, mr) catch unreachable;
            const column_panels = std.math.divCeil(usize, problem.n, nr_t) catch unreachable;
            const by_columns = problem.m <= problem.n;
            const column_parts = if (by_columns) @min(splits, column_panels) else 1;
            const row_parts = if (by_columns) 1 else @min(splits, row_panels);
            var self: Self = .{
                .problem = problem,
                .row_parts = row_parts,
                .column_parts = column_parts,
                .rows_per_part = mr * (std.math.divCeil(usize, row_panels, row_parts) catch unreachable),
                .columns_per_part = nr_t * (std.math.divCeil(usize, column_panels, column_parts) catch unreachable),
            };
            assert(self.rows_per_part * row_parts >= problem.m);
            assert(self.columns_per_part * column_parts >= problem.n);
            const units = problem.batch * row_parts * column_parts;
            pool.parallelFor(units, 1, &self, runRange);
            if (self.failed.load(.acquire)) return memory.outOfMemory(scratch_len * @sizeOf(A));
        }

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *Self = @ptrCast(@alignCast(@constCast(context)));
            const scratch = memory.allocator.alignedAlloc(A, alignment, scratch_len) catch {
                self.failed.store(true, .release);
                return;
            };
            defer memory.allocator.free(scratch);
            const p = self.problem;
            const per_batch = self.row_parts * self.column_parts;
            for (start..end) |unit| {
                const batch = unit / per_batch;
                const row_part = (unit % per_batch) / self.column_parts;
                const column_part = unit % self.column_parts;
                const row0 = row_part * self.rows_per_part;
                const column0 = column_part * self.columns_per_part;
                if (row0 >= p.m or column0 >= p.n) continue;
                self.block(scratch, batch, row0, @min(p.m, row0 + self.rows_per_part), column0,
                    @min(p.n, column0 + self.columns_per_part));
            }
        }

        /// Output rows row0..row_end, columns column0..column_end of matrix `batch`.
        fn block(self: *const Self, scratch: []A, batch: usize, row0: usize, row_end: usize,
            column0: usize, column_end: usize) void {
            const p = self.problem;
            const pack_a: []P = @ptrCast(scratch[0..pack_a_len]);
            const pack_b: []P = @ptrCast(scratch[pack_a_len..][0..pack_b_len]);
            const out_row_stride = p.outRowStride();
            const out_base = p.outOffset(batch);
            const block_columns = blockColumns(A);
            assert(block_columns <= nc_t and block_columns % nr_t == 0);
            var jc = column0;
            while (jc < column_end) : (jc += block_columns) {
                const columns = @min(block_columns, column_end - jc);
                var chunk0 = row0;
                while (chunk0 < row_end) : (chunk0 += @min(chunk_rows_max, row_end - chunk0)) {
                    const chunk_rows = @min(chunk_rows_max, row_end - chunk0);
                    // Where the chunk accumulates: the output itself, or the f32 block.
                    const c: [*]A, const ldc: usize = if (direct)
                        .{ p.out + out_base + chunk0 * out_row_stride + jc, out_row_stride }
                    else
                        .{ scratch[pack_a_len + pack_b_len ..].ptr, nc_t };
                    if (p.k == 0) {
                        for (0..chunk_rows) |i| @memset(c[i * ldc ..][0..columns], 0);
                    }
                    var depth0: usize = 0;
                    while (depth0 < p.k) : (depth0 += kc) {
                        const depth = @min(kc, p.k - depth0);
                        p.packB(batch, depth0, jc, depth, columns, pack_b);
                        var ic: usize = 0;
                        while (ic < chunk_rows) : (ic += mc) {
                            const rows = @min(mc, chunk_rows - ic);
                            p.packA(batch, chunk0 + ic, depth0, rows, depth, pack_a);
                            sweep(A, P, depth, pack_a, pack_b, c + ic * ldc, ldc, rows, columns, depth0 > 0);
                        }
                    }
                    if (!direct) {
                        for (0..chunk_rows) |i| {
                            const row_out = p.out + out_base + (chunk0 + i) * out_row_stride + jc;
                            storeRow(T, row_out, c[i * ldc ..][0..columns]);
                        }
                    }
                }
            }
        }
    };
}

/// c[0..rows, 0..columns] (+)= the packed A block @ the packed B block over `depth`: the
/// micro-kernel over every mr x nr tile. A's panel of rows ir.. starts at ir * steps, B's
/// panel of columns jr.. at jr * steps (steps: `depth`, or its pairs for bfloat16 pairs).
pub fn sweep(comptime A: type, comptime P: type, depth: usize, pack_a: []const P, pack_b: []const P,
    c: [*]A, ldc: usize, rows: usize, columns: usize, accumulate: bool) void {
    const nr_t = nrOf(A);
    const panel_steps = packedSteps(P, depth);
    var jr: usize = 0;
    while (jr < columns) : (jr += nr_t) {
        var ir: usize = 0;
        while (ir < rows) : (ir += mr) {
            const a = pack_a[ir * panel_steps ..].ptr;
            const b = pack_b[jr * panel_steps ..].ptr;
            const tile_rows = @min(mr, rows - ir);
            const tile_columns = @min(nr_t, columns - jr);
            if (P == pairs.Pair) {
                pairs.microKernel(panel_steps, a, b, c + ir * ldc + jr, ldc, tile_rows,
                    tile_columns, accumulate);
            } else {
                microKernel(A, depth, a, b, c + ir * ldc + jr, ldc, tile_rows,
                    tile_columns, accumulate);
            }
        }
    }
}

/// Rounds a row of f32 accumulators into `T`.
pub fn storeRow(comptime T: type, out: [*]T, values: []const f32) void {
    const lanes = 16;
    var j: usize = 0;
    while (j + lanes <= values.len) : (j += lanes) {
        simd.storeF32(T, lanes, out + j, values[j..][0..lanes].*);
    }
    while (j < values.len) : (j += 1) out[j] = fromF32(T, values[j]);
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
    // The tile's rows of C are read and written after the sweep over the depth: fetching
    // them now hides the miss (a row is one cache line per vector).
    for (0..rows) |r| {
        inline for (0..row_vectors) |v| @prefetch(c + r * ldc + v * lanes, .{ .rw = .write });
    }
    var acc: [mr][row_vectors]V = @splat(@splat(@splat(0)));
    for (0..depth) |kk| {
        var bv: [row_vectors]V = undefined;
        inline for (0..row_vectors) |v| bv[v] = b[kk * nr_t + v * lanes ..][0..lanes].*;
        inline for (0..mr) |r| {
            const av: V = @splat(a[kk * mr + r]);
            inline for (0..row_vectors) |v| acc[r][v] = simd.mulAdd(V, av, bv[v], acc[r][v]);
        }
    }
    storeTile(A, &acc, c, ldc, rows, columns, accumulate);
}

/// c[0..rows, 0..columns] (+)= a micro-kernel's accumulators.
pub inline fn storeTile(comptime A: type, acc: *const [mr][row_vectors]@Vector(lanesOf(A), A),
    c: [*]A, ldc: usize, rows: usize, columns: usize, accumulate: bool) void {
    const lanes = lanesOf(A);
    const nr_t = nrOf(A);
    const V = @Vector(lanes, A);
    if (rows == mr and columns == nr_t) {
        inline for (0..mr) |r| {
            const line = c + r * ldc;
            inline for (0..row_vectors) |v| {
                const slot = line[v * lanes ..][0..lanes];
                slot.* = if (accumulate) acc[r][v] + @as(V, slot.*) else acc[r][v];
            }
        }
        return;
    }
    var block: [mr][nr_t]A = undefined;
    inline for (0..mr) |r| {
        inline for (0..row_vectors) |v| block[r][v * lanes ..][0..lanes].* = acc[r][v];
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
        .{ 6, 32, 256 }, .{ 3, 2, 0 }, .{ 200, 2100, 40 }, .{ 25, 70, 300 } };
    for (sizes) |size| {
        inline for (.{ f32, f64, f16, dtype_mod.BFloat16 }) |T| {
            try checkAgainstNaive(T, 1, size[0], size[1], size[2], false, false);
            try checkAgainstNaive(T, 2, size[0], size[1], size[2], true, true);
        }
        try checkAgainstNaive(f32, 3, size[0], size[1], size[2], true, false);
        try checkAgainstNaive(f32, 1, size[0], size[1], size[2], false, true);
    }
    // One row of A: the vector-matrix paths (both orientations of B), full and partial blocks.
    for ([_]usize{ 1, 200, 300 }) |n| {
        inline for (.{ f32, f16, dtype_mod.BFloat16 }) |T| {
            try checkAgainstNaive(T, 2, 1, n, 37, false, false);
            try checkAgainstNaive(T, 1, 1, n, 37, true, true);
        }
    }
    // A few rows times transposed B (Gemv): every row-tile height, partial column tiles,
    // depths with and without a tail, and the first height past it (blocked).
    for ([_]usize{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 63, gemv_rows_max, gemv_rows_max + 1 }) |m| {
        for ([_][2]usize{ .{ 6, 37 }, .{ 9, 64 }, .{ 40, 3 } }) |nk| {
            inline for (.{ f32, f16, dtype_mod.BFloat16 }) |T| {
                try checkAgainstNaive(T, 2, m, nk[0], nk[1], false, true);
            }
        }
    }
}
