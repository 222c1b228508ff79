//! The driver shared by the factorization kernels (lu, triangular, cholesky): a batch of
//! square or rectangular matrices, each loaded from a strided input into a row-major work
//! area and solved alone. Batches split across threads; a single matrix runs on the calling
//! thread and may use the pool itself (`threaded`). A numerical failure (a zero pivot, a
//! matrix that is not positive definite) is reported as the first failing matrix and the
//! kernel's `info`, never a crash.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const strided = @import("strided.zig");
const pool = @import("pool.zig");

/// Where the matrices of a batch live: matrix `index` starts at `base + offsets[index]` and
/// element (row, column) is `row_stride * row + column_stride * column` further.
pub fn Source(comptime T: type) type {
    return struct {
        base: [*]const T,
        offsets: []const i64,
        row_stride: i64,
        column_stride: i64,

        /// Copies matrix `index` (rows x columns) row-major into `dest`.
        pub fn load(
            self: *const @This(),
            index: usize,
            dest: []T,
            rows: usize,
            columns: usize,
        ) void {
            assert(dest.len == rows * columns);
            const start = self.offsets[index];
            for (0..rows) |row| {
                const row_start = start + self.row_stride * @as(i64, @intCast(row));
                const out_row = dest[row * columns ..][0..columns];
                if (self.column_stride == 1) {
                    const first = strided.ptrAt(T, @constCast(self.base), row_start);
                    @memcpy(out_row, first[0..columns]);
                    continue;
                }
                for (out_row, 0..) |*slot, column| {
                    const at = row_start + self.column_stride * @as(i64, @intCast(column));
                    slot.* = strided.at(T, @constCast(self.base), at).*;
                }
            }
        }
    };
}

/// The first matrix (lowest index) whose kernel reported a failure, with the kernel's info.
pub const Failure = struct {
    matrix_index: usize,
    info: usize,
};

const none: u64 = std.math.maxInt(u64);

/// Runs `task.solve(matrix_index, scratch, threaded)` for every matrix of the batch. `solve`
/// returns null on success or an info value (< 2^32) describing a numerical failure.
/// `scratch_bytes` of 64-byte-aligned scratch are given to each call (allocated once per
/// thread chunk); `flops_per_matrix` sizes the chunks.
pub fn run(
    comptime Task: type,
    task: *const Task,
    matrix_count: usize,
    flops_per_matrix: usize,
    scratch_bytes: usize,
) errors.Error!?Failure {
    if (matrix_count == 0) return null;
    if (matrix_count == 1) {
        const scratch = try allocScratch(scratch_bytes);
        defer memory.allocator.free(scratch);
        const info = task.solve(0, scratch, true) orelse return null;
        return .{ .matrix_index = 0, .info = info };
    }
    const Context = struct {
        task: *const Task,
        scratch_bytes: usize,
        /// matrix_index << 32 | info of the first failure, or `none`.
        failure: std.atomic.Value(u64) = .init(none),
        out_of_memory: std.atomic.Value(bool) = .init(false),

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *@This() = @ptrCast(@alignCast(@constCast(context)));
            const scratch = allocScratch(self.scratch_bytes) catch {
                self.out_of_memory.store(true, .monotonic);
                return;
            };
            defer memory.allocator.free(scratch);
            for (start..end) |index| {
                const info = self.task.solve(index, scratch, false) orelse continue;
                assert(info < 1 << 32);
                _ = self.failure.fetchMin(@as(u64, index) << 32 | info, .monotonic);
            }
        }
    };
    var context: Context = .{ .task = task, .scratch_bytes = scratch_bytes };
    const grain = @max(1, (1 << 16) / @max(1, flops_per_matrix));
    pool.parallelFor(matrix_count, grain, &context, Context.runRange);
    if (context.out_of_memory.load(.monotonic)) return memory.outOfMemory(scratch_bytes);
    const failure = context.failure.load(.monotonic);
    if (failure == none) return null;
    return .{ .matrix_index = @intCast(failure >> 32), .info = @intCast(failure & 0xffff_ffff) };
}

fn allocScratch(size_bytes: usize) errors.Error![]align(64) u8 {
    return memory.allocator.alignedAlloc(u8, .@"64", size_bytes) catch
        memory.outOfMemory(size_bytes);
}

/// `scratch` cut into a typed slice of `count` elements starting `offset_bytes` in.
pub fn scratchSlice(
    comptime T: type,
    scratch: []align(64) u8,
    offset_bytes: usize,
    count: usize,
) []T {
    assert(offset_bytes % @alignOf(T) == 0);
    assert(offset_bytes + count * @sizeOf(T) <= scratch.len);
    const region = scratch[offset_bytes..][0 .. count * @sizeOf(T)];
    const bytes: []align(@alignOf(T)) u8 = @alignCast(region);
    return std.mem.bytesAsSlice(T, bytes);
}
