//! bfloat16 products on Intel AMX tiles (Sapphire Rapids and later; `tdpbf16ps`). One tile
//! instruction multiplies a 16 x 32 block of A by a 32 x 16 block of B into 16 x 16 f32
//! accumulators: 16 times the products of an AVX-512 `vdpbf16ps`.
//!
//! The blocked driver (gemm.zig `Blocked`) hands each thread's output block here when
//! `enabled()`. Per block of `chunk_rows` x `block_columns` outputs the f32 sums live in a
//! scratch block; per `block_depth` slice A is packed as rows of pairs (a tile row is 32
//! consecutive depth indices of one row) and B as 32-column panels of pairs (gemm_pairs.zig's
//! layout; a tile row is one depth pair of 16 columns), both zero-padded to whole tiles,
//! and a 32 x 32 register block (four accumulator tiles, two of A, two of B) sweeps them.
//!
//! Numerics (the instruction's definition): bfloat16 denormal inputs read as zero, products
//! are exact in f32 and the sum of each 32-deep tile product is added to the accumulator
//! with round to nearest even; denormal f32 results flush to zero. The f32 block is rounded
//! to bfloat16 once.
//!
//! Linux hands AMX state to a process only on request (`arch_prctl(ARCH_REQ_XCOMP_PERM)`):
//! `enabled()` asks once; a kernel or hypervisor that refuses leaves the pair kernels
//! (gemm_pairs.zig) in charge. `MLXTS_AMX=0` turns the tiles off.

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const gemm = @import("gemm.zig");
const pairs = @import("gemm_pairs.zig");
const pool = @import("pool.zig");

const BFloat16 = dtype_mod.BFloat16;

/// Whether the target has the tiles (a host build on an AMX CPU). The self-hosted Debug
/// backend takes no tile assembly, so unit tests never run it; the TS suite's bfloat16
/// matmul tests cover it on such hosts.
pub const available = builtin.cpu.arch == .x86_64 and builtin.os.tag == .linux and
    builtin.zig_backend == .stage2_llvm and
    std.Target.x86.featureSetHas(builtin.cpu.features, .amx_tile) and
    std.Target.x86.featureSetHas(builtin.cpu.features, .amx_bf16);

/// Rows of a tile, and bytes of one tile row.
const tile_rows = 16;
const tile_row_bytes = 64;
/// Depth pairs of one tile row of A (and rows of a tile of B).
const tile_steps = tile_row_bytes / 4;
/// Rows and columns of the register block: 2 x 2 accumulator tiles.
const block_rows = 2 * tile_rows;
const block_width = 2 * tile_rows;
/// Depth indices of one packed slice (its pairs: `block_depth / 2`).
const block_depth = 512;
/// Columns of one packed B block, and of the f32 sums block.
const block_columns = 256;
/// Rows of the f32 sums block (A is packed `chunk_rows` x `block_depth` at a time).
const chunk_rows = 512;

comptime {
    assert(block_depth % (2 * tile_steps) == 0);
    assert(block_columns % block_width == 0);
    assert(chunk_rows % block_rows == 0);
}

/// Words of a packed B block and of the f32 sums block.
const pack_b_words = block_columns * (block_depth / 2);
const sums_words = chunk_rows * block_columns;

var state: std.atomic.Value(u8) = .init(@intFromEnum(State.unknown));
const State = enum(u8) { unknown, on, off };

/// Whether products run on the tiles: the target has them, `MLXTS_AMX` is not "0", and
/// the OS granted this process the tile state (asked once).
pub fn enabled() bool {
    if (!available) return false;
    switch (@as(State, @enumFromInt(state.load(.acquire)))) {
        .on => return true,
        .off => return false,
        .unknown => {},
    }
    const on = request();
    state.store(@intFromEnum(if (on) State.on else State.off), .release);
    return on;
}

fn request() bool {
    if (std.posix.getenv("MLXTS_AMX")) |text| {
        if (std.mem.eql(u8, text, "0")) return false;
    }
    const arch_req_xcomp_perm = 0x1023;
    const xfeature_xtiledata = 18;
    const result = std.os.linux.syscall2(.arch_prctl, arch_req_xcomp_perm, xfeature_xtiledata);
    return result == 0;
}

/// The tile configuration (palette 1): all eight tiles 16 rows of 64 bytes.
const Config = extern struct {
    palette: u8 = 1,
    start_row: u8 = 0,
    reserved: [14]u8 = @splat(0),
    row_bytes: [16]u16 = .{tile_row_bytes} ** 8 ++ .{0} ** 8,
    rows: [16]u8 = .{tile_rows} ** 8 ++ .{0} ** 8,
};

comptime {
    assert(@sizeOf(Config) == 64);
}

/// Configures this thread's tiles; pair with `release`.
fn configure() void {
    const config: Config = .{};
    asm volatile ("ldtilecfg (%[config])"
        :
        : [config] "r" (&config),
        : .{ .memory = true });
}

/// Returns this thread's tile state to the OS's initial state.
fn release() void {
    asm volatile ("tilerelease" ::: .{ .memory = true });
}

/// The product as the tiles compute it: `problem` itself, or, where B's columns are
/// contiguous along the depth (a product with transposed weights, `x @ w.T`), its transpose
/// `b.T @ a.T`: then the weights are the rows packed by copying and the output is written
/// transposed.
const Job = struct {
    a: gemm.Operand(BFloat16),
    b: gemm.Operand(BFloat16),
    out: [*]BFloat16,
    batch: usize,
    m: usize,
    n: usize,
    k: usize,
    /// Whether output element (i, j) of the job is element (j, i) of the product.
    transposed: bool,
    /// The product's output: rows `out_row_stride` apart, matrices `out_batch_stride`.
    out_row_stride: usize,
    out_batch_stride: usize,
    /// Each matrix is split into row_parts x column_parts blocks, one work unit each.
    row_parts: usize,
    column_parts: usize,
    rows_per_part: usize,
    columns_per_part: usize,
    failed: std.atomic.Value(bool) = .init(false),
};

/// Computes the product on the tiles (`enabled()` has returned true); OutOfMemory if a
/// thread's scratch cannot be allocated.
pub fn run(problem: *const gemm.Problem(BFloat16)) errors.Error!void {
    comptime assert(available);
    assert(problem.batch > 0 and problem.m > 0 and problem.n > 0);
    const transposed = problem.b.row_stride == 1 and problem.b.column_stride != 1;
    var job: Job = if (transposed) .{
        .a = .{ .base = problem.b.base, .offsets = problem.b.offsets,
            .row_stride = problem.b.column_stride, .column_stride = problem.b.row_stride },
        .b = .{ .base = problem.a.base, .offsets = problem.a.offsets,
            .row_stride = problem.a.column_stride, .column_stride = problem.a.row_stride },
        .out = problem.out, .batch = problem.batch, .m = problem.n, .n = problem.m, .k = problem.k,
        .transposed = true, .out_row_stride = problem.n, .out_batch_stride = problem.m * problem.n,
        .row_parts = 1, .column_parts = 1, .rows_per_part = 0, .columns_per_part = 0,
    } else .{
        .a = problem.a, .b = problem.b,
        .out = problem.out, .batch = problem.batch, .m = problem.m, .n = problem.n, .k = problem.k,
        .transposed = false, .out_row_stride = problem.n, .out_batch_stride = problem.m * problem.n,
        .row_parts = 1, .column_parts = 1, .rows_per_part = 0, .columns_per_part = 0,
    };
    // Enough blocks for every thread, split along the longer side (the other operand is
    // packed once per block).
    const threads = pool.threadCount();
    const splits = if (job.batch >= threads) 1 else std.math.divCeil(usize, threads, job.batch) catch unreachable;
    const row_blocks = std.math.divCeil(usize, job.m, block_rows) catch unreachable;
    const column_blocks = std.math.divCeil(usize, job.n, block_width) catch unreachable;
    if (job.m <= job.n) job.column_parts = @min(splits, column_blocks) else job.row_parts = @min(splits, row_blocks);
    job.rows_per_part = block_rows * (std.math.divCeil(usize, row_blocks, job.row_parts) catch unreachable);
    job.columns_per_part = block_width * (std.math.divCeil(usize, column_blocks, job.column_parts) catch unreachable);
    assert(job.rows_per_part * job.row_parts >= job.m);
    assert(job.columns_per_part * job.column_parts >= job.n);
    pool.parallelFor(job.batch * job.row_parts * job.column_parts, 1, &job, runRange);
    if (job.failed.load(.acquire)) return memory.outOfMemory(scratchWords(job.k) * 4);
}

fn runRange(context: *const anyopaque, start: usize, end: usize) void {
    const job: *Job = @ptrCast(@alignCast(@constCast(context)));
    const scratch = memory.allocator.alignedAlloc(u32, .@"64", scratchWords(job.k)) catch {
        job.failed.store(true, .release);
        return;
    };
    defer memory.allocator.free(scratch);
    configure();
    defer release();
    const per_batch = job.row_parts * job.column_parts;
    for (start..end) |unit| {
        const batch = unit / per_batch;
        const row0 = ((unit % per_batch) / job.column_parts) * job.rows_per_part;
        const column0 = (unit % job.column_parts) * job.columns_per_part;
        if (row0 >= job.m or column0 >= job.n) continue;
        block(job, scratch, batch, row0, @min(job.m, row0 + job.rows_per_part), column0,
            @min(job.n, column0 + job.columns_per_part));
    }
}

/// Words of a thread's scratch for products of depth `k`: A packed for every depth slice of
/// a row chunk, one B block, the f32 sums block.
fn scratchWords(k: usize) usize {
    return packAWords(k) + pack_b_words + sums_words;
}

fn packAWords(k: usize) usize {
    return chunk_rows * (block_depth / 2) * @max(1, std.math.divCeil(usize, k, block_depth) catch unreachable);
}

/// Output rows row0..row_end, columns column0..column_end of matrix `batch` of the job.
/// Per chunk of rows A is packed once, slice by slice (each slice's rows 1 KiB apart, so a
/// tile's rows fall in distinct cache sets), or, with one block of columns, each slice just
/// before its use; per block of columns and slice B is packed and the register blocks run
/// row block by row block (the row block's A stays in L1 while B's panels stream from L2).
fn block(job: *const Job, scratch: []u32, batch: usize, row0: usize, row_end: usize,
    column0: usize, column_end: usize) void {
    assert(scratch.len >= scratchWords(job.k));
    assert(row0 < row_end and row_end <= job.m);
    assert(column0 < column_end and column_end <= job.n);
    const a_words = packAWords(job.k);
    const pack_a: []pairs.Pair = @ptrCast(scratch[0..a_words]);
    const pack_b: []pairs.Pair = @ptrCast(scratch[a_words..][0..pack_b_words]);
    const sums: [*]f32 = @ptrCast(scratch[a_words + pack_b_words ..].ptr);
    const slice_words = chunk_rows * (block_depth / 2);
    // With more than one block of columns each packed slice of A is used again.
    const a_reused = column_end - column0 > block_columns;
    // Against one register block of columns (the weights of a few rows' product, computed
    // transposed) each A tile is read once: straight from A's rows, which must then hold
    // whole tiles (no padding to supply).
    const a_direct = job.a.column_stride == 1 and job.a.row_stride > 0 and column_end - column0 <= block_width and
        job.k % (2 * tile_steps) == 0 and job.m % block_rows == 0;
    const out = job.out + batch * job.out_batch_stride;
    var chunk0 = row0;
    while (chunk0 < row_end) : (chunk0 += chunk_rows) {
        const rows = @min(chunk_rows, row_end - chunk0);
        const rows_padded = std.mem.alignForward(usize, rows, block_rows);
        var depth0: usize = 0;
        while (a_reused and !a_direct and depth0 < job.k) : (depth0 += block_depth) {
            const depth = @min(block_depth, job.k - depth0);
            const steps = std.mem.alignForward(usize, pairs.steps(depth), tile_steps);
            const slice = pack_a[(depth0 / block_depth) * slice_words ..][0..slice_words];
            packA(&job.a, batch, chunk0, rows, rows_padded, depth0, depth, steps, slice);
        }
        var jc = column0;
        while (jc < column_end) : (jc += block_columns) {
            const columns = @min(block_columns, column_end - jc);
            const columns_padded = std.mem.alignForward(usize, columns, block_width);
            if (job.k == 0) {
                for (0..rows) |i| @memset(sums[i * block_columns ..][0..columns], 0);
            }
            depth0 = 0;
            while (depth0 < job.k) : (depth0 += block_depth) {
                const depth = @min(block_depth, job.k - depth0);
                const steps = std.mem.alignForward(usize, pairs.steps(depth), tile_steps);
                const slice_index = if (a_reused) depth0 / block_depth else 0;
                if (!a_reused and !a_direct) {
                    packA(&job.a, batch, chunk0, rows, rows_padded, depth0, depth, steps,
                        pack_a[0..slice_words]);
                }
                packB(&job.b, batch, depth0, depth, steps, jc, columns, columns_padded, pack_b);
                const a_row_bytes: usize = if (a_direct) @intCast(job.a.row_stride * 2) else steps * 4;
                const a_slice = if (a_direct)
                    @intFromPtr(job.a.base + @as(usize, @intCast(job.a.offsets[batch] +
                        @as(i64, @intCast(chunk0)) * job.a.row_stride + @as(i64, @intCast(depth0)))))
                else
                    @intFromPtr(pack_a.ptr) + slice_index * slice_words * 4;
                const b_block = @intFromPtr(pack_b.ptr);
                var ir: usize = 0;
                while (ir < rows_padded) : (ir += block_rows) {
                    var jr: usize = 0;
                    while (jr < columns_padded) : (jr += block_width) {
                        registerBlock(a_slice + ir * a_row_bytes, a_row_bytes, b_block + jr * steps * 4,
                            steps / tile_steps, sums + ir * block_columns + jr, depth0 > 0);
                    }
                }
            }
            if (job.transposed) {
                // Job row i is product column chunk0 + i: write product rows jc.. in order.
                for (0..columns) |j| {
                    const out_row = out + (jc + j) * job.out_row_stride + chunk0;
                    for (0..rows) |i| out_row[i] = BFloat16.fromF32(sums[i * block_columns + j]);
                }
            } else {
                for (0..rows) |i| {
                    const out_row = out + (chunk0 + i) * job.out_row_stride + jc;
                    gemm.storeRow(BFloat16, out_row, sums[i * block_columns ..][0..columns]);
                }
            }
        }
    }
}

/// Rows row0..row0 + rows of A over depth0..depth0 + depth as rows of `steps` pairs (zero
/// past the depth and for rows up to `rows_padded`).
fn packA(a: *const gemm.Operand(BFloat16), batch: usize, row0: usize, rows: usize,
    rows_padded: usize, depth0: usize, depth: usize, steps: usize, out: []pairs.Pair) void {
    assert(rows_padded * steps <= out.len);
    const words: [*]u32 = @ptrCast(out.ptr);
    if (a.column_stride == 1) {
        // Rows contiguous along the depth: a row of pairs is the row's bytes.
        const base = a.base + @as(usize, @intCast(a.offsets[batch]));
        for (0..rows) |i| {
            const start: i64 = @as(i64, @intCast(row0 + i)) * a.row_stride + @as(i64, @intCast(depth0));
            const halves: [*]BFloat16 = @ptrCast(words + i * steps);
            @memcpy(halves[0..depth], base[@intCast(start)..][0..depth]);
            @memset(halves[depth .. 2 * steps], BFloat16{ .bits = 0 });
        }
    } else {
        pairs.pack(1, a, batch, row0, depth0, rows, depth, steps, .rows, out);
    }
    @memset(words[rows * steps .. rows_padded * steps], 0);
}

/// Columns column0..column0 + columns of B over depth0..depth0 + depth as 32-column panels
/// of `steps` pairs (zero past the depth and the columns): a step's pairs are one 128-byte
/// row, a tile row of each of the register block's two B tiles.
fn packB(b: *const gemm.Operand(BFloat16), batch: usize, depth0: usize, depth: usize,
    steps: usize, column0: usize, columns: usize, columns_padded: usize, out: []pairs.Pair) void {
    assert(columns_padded * steps <= out.len);
    pairs.pack(block_width, b, batch, column0, depth0, columns, depth, steps, .columns, out);
}

/// sums[0..32, 0..32] (+)= A @ B over `tile_blocks` x 32 depth indices: A is 32 rows of
/// pairs at address `a`, `a_stride_bytes` apart; B a 32-column panel at `b`.
inline fn registerBlock(a: usize, a_stride_bytes: usize, b: usize, tile_blocks: usize,
    sums: [*]f32, accumulate: bool) void {
    const sums_stride_bytes: usize = block_columns * 4;
    const sums_low = sums + tile_rows * block_columns;
    const b_stride_bytes: usize = 2 * tile_row_bytes;
    if (accumulate) {
        asm volatile (
            \\tileloadd (%[c0], %[ldc], 1), %%tmm0
            \\tileloadd (%[c1], %[ldc], 1), %%tmm1
            \\tileloadd (%[c2], %[ldc], 1), %%tmm2
            \\tileloadd (%[c3], %[ldc], 1), %%tmm3
            :
            : [c0] "r" (sums),
              [c1] "r" (sums + tile_rows),
              [c2] "r" (sums_low),
              [c3] "r" (sums_low + tile_rows),
              [ldc] "r" (sums_stride_bytes),
            : .{ .memory = true });
    } else {
        asm volatile (
            \\tilezero %%tmm0
            \\tilezero %%tmm1
            \\tilezero %%tmm2
            \\tilezero %%tmm3
            ::: .{ .memory = true });
    }
    const a_low = a + tile_rows * a_stride_bytes;
    for (0..tile_blocks) |t| {
        // Tile block t: 16 pairs of each A row, 16 pair rows of each B panel.
        asm volatile (
            \\tileloadd (%[a0], %[lda], 1), %%tmm4
            \\tileloadd (%[b0], %[ldb], 1), %%tmm6
            \\tileloadd (%[b1], %[ldb], 1), %%tmm7
            \\tdpbf16ps %%tmm6, %%tmm4, %%tmm0
            \\tdpbf16ps %%tmm7, %%tmm4, %%tmm1
            \\tileloadd (%[a1], %[lda], 1), %%tmm5
            \\tdpbf16ps %%tmm6, %%tmm5, %%tmm2
            \\tdpbf16ps %%tmm7, %%tmm5, %%tmm3
            :
            : [a0] "r" (a + t * tile_row_bytes),
              [a1] "r" (a_low + t * tile_row_bytes),
              [b0] "r" (b + t * tile_rows * b_stride_bytes),
              [b1] "r" (b + t * tile_rows * b_stride_bytes + tile_row_bytes),
              [lda] "r" (a_stride_bytes),
              [ldb] "r" (b_stride_bytes),
            : .{ .memory = true });
    }
    asm volatile (
        \\tilestored %%tmm0, (%[c0], %[ldc], 1)
        \\tilestored %%tmm1, (%[c1], %[ldc], 1)
        \\tilestored %%tmm2, (%[c2], %[ldc], 1)
        \\tilestored %%tmm3, (%[c3], %[ldc], 1)
        :
        : [c0] "r" (sums),
          [c1] "r" (sums + tile_rows),
          [c2] "r" (sums_low),
          [c3] "r" (sums_low + tile_rows),
          [ldc] "r" (sums_stride_bytes),
        : .{ .memory = true });
}
