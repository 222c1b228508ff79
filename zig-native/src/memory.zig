//! Array buffers: refcounted, 64-byte aligned, counted against the active/peak totals and an
//! optional memory limit. Views share a buffer by holding a reference to it.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("errors.zig");

/// Alignment of every buffer: one cache line, enough for any SIMD load.
pub const buffer_alignment_bytes = 64;
const buffer_alignment: std.mem.Alignment = .fromByteUnits(buffer_alignment_bytes);

/// The allocator behind buffers and graph nodes: libc's malloc, which is thread-safe and
/// returns freed memory to the system.
pub const allocator = std.heap.c_allocator;

var active_bytes = std.atomic.Value(u64).init(0);
var peak_bytes = std.atomic.Value(u64).init(0);
/// 0 means no limit.
var limit_bytes = std.atomic.Value(u64).init(0);

pub const Buffer = struct {
    ref_count: std.atomic.Value(u32),
    bytes: []align(buffer_alignment_bytes) u8,

    /// Allocates a buffer of `size_bytes` (may be 0) with one reference.
    pub fn create(size_bytes: usize) errors.Error!*Buffer {
        const limit = limit_bytes.load(.monotonic);
        const active = active_bytes.load(.monotonic);
        if (limit != 0 and active + size_bytes > limit) {
            return errors.fail(error.OutOfMemory, "allocation of {d} bytes exceeds the memory " ++
                "limit ({d} bytes active, limit {d} bytes)", .{ size_bytes, active, limit });
        }
        const self = allocator.create(Buffer) catch return outOfMemory(@sizeOf(Buffer));
        errdefer allocator.destroy(self);
        const bytes = allocator.alignedAlloc(u8, buffer_alignment, size_bytes) catch
            return outOfMemory(size_bytes);
        self.* = .{ .ref_count = .init(1), .bytes = bytes };
        const now = active_bytes.fetchAdd(size_bytes, .monotonic) + size_bytes;
        _ = peak_bytes.fetchMax(now, .monotonic);
        return self;
    }

    pub fn retain(self: *Buffer) void {
        const previous = self.ref_count.fetchAdd(1, .monotonic);
        assert(previous > 0);
    }

    pub fn release(self: *Buffer) void {
        const previous = self.ref_count.fetchSub(1, .acq_rel);
        assert(previous > 0);
        if (previous != 1) return;
        const size_bytes = self.bytes.len;
        allocator.free(self.bytes);
        allocator.destroy(self);
        const before = active_bytes.fetchSub(size_bytes, .monotonic);
        assert(before >= size_bytes);
    }
};

pub fn outOfMemory(size_bytes: usize) errors.Error {
    return errors.fail(error.OutOfMemory, "out of memory allocating {d} bytes", .{size_bytes});
}

pub fn activeBytes() u64 {
    return active_bytes.load(.monotonic);
}

pub fn peakBytes() u64 {
    return peak_bytes.load(.monotonic);
}

pub fn resetPeak() void {
    peak_bytes.store(active_bytes.load(.monotonic), .monotonic);
}

/// Sets the limit on active buffer bytes (0: none) and returns the previous one.
pub fn setLimit(new_limit_bytes: u64) u64 {
    return limit_bytes.swap(new_limit_bytes, .monotonic);
}

test "buffers count active and peak bytes" {
    const before = activeBytes();
    const a = try Buffer.create(1000);
    try std.testing.expectEqual(before + 1000, activeBytes());
    try std.testing.expect(peakBytes() >= before + 1000);
    try std.testing.expectEqual(@as(usize, 0), @intFromPtr(a.bytes.ptr) % buffer_alignment_bytes);
    a.retain();
    a.release();
    try std.testing.expectEqual(before + 1000, activeBytes());
    a.release();
    try std.testing.expectEqual(before, activeBytes());
}

test "the memory limit refuses allocations past it" {
    const previous = setLimit(activeBytes() + 100);
    defer _ = setLimit(previous);
    try std.testing.expectError(error.OutOfMemory, Buffer.create(1000));
}
