//! Sorting kernels along one axis: sort, argsort (stable), partition and argpartition. Each
//! line is copied into a scratch buffer of entries (an integer holding the value's order key
//! and its position, see order.zig), ordered there (a pdq sort, or a selection for
//! partitions; entries tie by position, so the result is stable), and the positions, or the
//! input values at them, written out. Lines are split across the thread pool; each
//! chunk of lines allocates one scratch buffer of one line's length.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../../errors.zig");
const memory = @import("../../memory.zig");
const dtype_mod = @import("../../dtype.zig");
const Array = @import("../../array.zig").Array;
const strided = @import("strided.zig");
const pool = @import("pool.zig");
const order = @import("order.zig");
const select = @import("select.zig");
const Lines = @import("lines.zig").Lines;

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;

pub const Mode = enum(u8) {
    sort,
    argsort,
    partition,
    argpartition,

    /// Whether the output holds positions (uint32) rather than values.
    pub fn indices(self: Mode) bool {
        return self == .argsort or self == .argpartition;
    }

    /// Whether only the kth position must be in place.
    pub fn selects(self: Mode) bool {
        return self == .partition or self == .argpartition;
    }
};

fn Kernel(comptime dtype: DType, comptime indices: bool) type {
    const T = Storage(dtype);
    const E = order.Entry(dtype);
    const Out = if (indices) u32 else T;
    return struct {
        const Self = @This();
        const entry_size_bytes = @sizeOf(E);
        const ascending = std.sort.asc(E);

        lines: Lines,
        input: [*]T,
        out: [*]Out,
        /// The position to select, or null for a full sort.
        kth: ?usize,
        /// Set by a chunk whose scratch buffer could not be allocated.
        failed: *std.atomic.Value(bool),

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const Self = @ptrCast(@alignCast(context));
            const length: usize = @intCast(self.lines.length);
            const scratch = memory.allocator.alloc(E, length) catch {
                self.failed.store(true, .monotonic);
                return;
            };
            defer memory.allocator.free(scratch);
            for (start..end) |line| self.orderLine(line, scratch);
        }

        fn orderLine(self: *const Self, line: usize, scratch: []E) void {
            assert(scratch.len == self.lines.length);
            const first = self.lines.starts(line);
            const stride = self.lines.stride;
            const out_stride = self.lines.out_stride;
            for (scratch, 0..) |*item, k| {
                const position: i64 = @intCast(k);
                const value = strided.at(T, self.input, first[1] + position * stride).*;
                item.* = order.entry(dtype, value, @intCast(k));
            }
            if (self.kth) |kth| {
                select.select(E, scratch, kth, {}, ascending);
            } else {
                std.sort.pdq(E, scratch, {}, ascending);
            }
            for (scratch, 0..) |item, k| {
                const index = order.entryIndex(dtype, item);
                const position: i64 = @intCast(k);
                const slot = strided.at(Out, self.out, first[0] + position * out_stride);
                if (indices) {
                    slot.* = index;
                } else {
                    slot.* = strided.at(T, self.input, first[1] + @as(i64, index) * stride).*;
                }
            }
        }
    };
}

/// Orders `input` along `axis` into `out` (allocated row-major, the input's shape; uint32
/// for the index modes). `kth` is the position to select (partition modes only).
pub fn run(mode: Mode, out: *Array, input: *const Array, axis: u8, kth: u32) errors.Error!void {
    assert(out.isRowContiguous());
    assert(out.shape.eql(input.shape));
    assert(out.dtype == (if (mode.indices()) DType.uint32 else input.dtype));
    const lines = Lines.init(input, axis, out.strides, out.offset);
    if (lines.count() == 0 or lines.length == 0) return;
    assert(lines.length <= std.math.maxInt(u32));
    assert(!mode.selects() or kth < lines.length);
    var failed = std.atomic.Value(bool).init(false);
    switch (input.dtype) {
        inline else => |dtype| switch (mode.indices()) {
            inline else => |indices| {
                const K = Kernel(dtype, indices);
                const kernel: K = .{
                    .lines = lines,
                    .input = input.basePtr(Storage(dtype)),
                    .out = out.basePtr(if (indices) u32 else Storage(dtype)),
                    .kth = if (mode.selects()) kth else null,
                    .failed = &failed,
                };
                pool.parallelFor(lines.count(), lines.grain(), &kernel, K.runRange);
                if (failed.load(.monotonic)) {
                    const length: usize = @intCast(lines.length);
                    return memory.outOfMemory(length * K.entry_size_bytes);
                }
            },
        },
    }
}
