//! Array buffers: refcounted, 64-byte aligned, counted against the active/peak totals and an
//! optional memory limit. Freed buffers go to a size-keyed cache (bounded by the cache limit)
//! and are handed out again for the same size class, which spares the allocator and the
//! page faults of fresh memory. Views share a buffer by holding a reference to it.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("errors.zig");

/// Alignment of every buffer: one cache line, enough for any SIMD load.
pub const buffer_alignment_bytes = 64;
const buffer_alignment: std.mem.Alignment = .fromByteUnits(buffer_alignment_bytes);

/// The allocator behind buffers and graph nodes: libc's malloc, which is thread-safe and
/// returns freed memory to the system.
pub const allocator = std.heap.c_allocator;

/// Default bound on cached (freed, kept for reuse) bytes.
pub const cache_limit_default_bytes: u64 = 1 << 30;

var active_bytes = std.atomic.Value(u64).init(0);
var peak_bytes = std.atomic.Value(u64).init(0);
/// 0 means no limit.
var limit_bytes = std.atomic.Value(u64).init(0);

var cache_mutex: std.Thread.Mutex = .{};
var cache_lists: std.AutoHashMapUnmanaged(usize, *Buffer) = .empty;
var cache_bytes: u64 = 0;
var cache_limit_bytes: u64 = cache_limit_default_bytes;

pub const Buffer = struct {
    ref_count: std.atomic.Value(u32),
    /// The requested bytes (a prefix of the allocation).
    bytes: []align(buffer_alignment_bytes) u8,
    /// The allocation's size class.
    capacity_bytes: usize,
    /// Link in the cache's list for this size class.
    next_cached: ?*Buffer,

    /// A buffer of `size_bytes` (may be 0) with one reference: from the cache when one of the
    /// same size class is there, else newly allocated. Its contents are undefined.
    pub fn create(size_bytes: usize) errors.Error!*Buffer {
        const limit = limit_bytes.load(.monotonic);
        const active = active_bytes.load(.monotonic);
        if (limit != 0 and active + size_bytes > limit) {
            return errors.fail(error.OutOfMemory, "allocation of {d} bytes exceeds the memory " ++
                "limit ({d} bytes active, limit {d} bytes)", .{ size_bytes, active, limit });
        }
        const capacity = sizeClass(size_bytes);
        const self = takeCached(capacity) orelse try allocate(capacity);
        self.ref_count = .init(1);
        self.bytes = self.bytes.ptr[0..size_bytes];
        const now = active_bytes.fetchAdd(size_bytes, .monotonic) + size_bytes;
        _ = peak_bytes.fetchMax(now, .monotonic);
        return self;
    }

    fn allocate(capacity: usize) errors.Error!*Buffer {
        const self = allocator.create(Buffer) catch return outOfMemory(@sizeOf(Buffer));
        errdefer allocator.destroy(self);
        const bytes = allocator.alignedAlloc(u8, buffer_alignment, capacity) catch blk: {
            // Memory may be sitting in the cache: give it back and try once more.
            clearCache();
            break :blk allocator.alignedAlloc(u8, buffer_alignment, capacity) catch
                return outOfMemory(capacity);
        };
        self.* = .{ .ref_count = .init(1), .bytes = bytes, .capacity_bytes = capacity, .next_cached = null };
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
        const before = active_bytes.fetchSub(self.bytes.len, .monotonic);
        assert(before >= self.bytes.len);
        if (!putCached(self)) destroy(self);
    }

    fn destroy(self: *Buffer) void {
        allocator.free(self.bytes.ptr[0..self.capacity_bytes]);
        allocator.destroy(self);
    }
};

/// The allocation size for a request: small requests round to a cache line, larger ones to
/// an eighth of their power of two (at most 12.5% slack), so similar sizes share a class.
fn sizeClass(size_bytes: usize) usize {
    if (size_bytes <= 4096) return std.mem.alignForward(usize, @max(size_bytes, 1), buffer_alignment_bytes);
    const high_bit = std.math.log2_int(usize, size_bytes);
    const step = @as(usize, 1) << @intCast(high_bit - 3);
    return std.mem.alignForward(usize, size_bytes, step);
}

fn takeCached(capacity: usize) ?*Buffer {
    cache_mutex.lock();
    defer cache_mutex.unlock();
    const entry = cache_lists.getPtr(capacity) orelse return null;
    const buffer = entry.*;
    if (buffer.next_cached) |next| entry.* = next else _ = cache_lists.remove(capacity);
    buffer.next_cached = null;
    cache_bytes -= capacity;
    return buffer;
}

/// Keeps a freed buffer for reuse when the cache has room; false when it must be freed.
fn putCached(buffer: *Buffer) bool {
    cache_mutex.lock();
    defer cache_mutex.unlock();
    if (cache_bytes + buffer.capacity_bytes > cache_limit_bytes) return false;
    const entry = cache_lists.getOrPut(allocator, buffer.capacity_bytes) catch return false;
    buffer.next_cached = if (entry.found_existing) entry.value_ptr.* else null;
    entry.value_ptr.* = buffer;
    cache_bytes += buffer.capacity_bytes;
    return true;
}

/// Frees every cached buffer.
pub fn clearCache() void {
    cache_mutex.lock();
    defer cache_mutex.unlock();
    var lists = cache_lists.valueIterator();
    while (lists.next()) |head| {
        var next: ?*Buffer = head.*;
        while (next) |buffer| {
            next = buffer.next_cached;
            buffer.destroy();
        }
    }
    cache_lists.clearRetainingCapacity();
    cache_bytes = 0;
}

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

pub fn cacheBytes() u64 {
    cache_mutex.lock();
    defer cache_mutex.unlock();
    return cache_bytes;
}

/// Sets the limit on active buffer bytes (0: none) and returns the previous one.
pub fn setLimit(new_limit_bytes: u64) u64 {
    return limit_bytes.swap(new_limit_bytes, .monotonic);
}

/// Sets the bound on cached bytes (0: no caching), trimming the cache; returns the previous.
pub fn setCacheLimit(new_limit_bytes: u64) u64 {
    cache_mutex.lock();
    const previous = cache_limit_bytes;
    cache_limit_bytes = new_limit_bytes;
    const over = cache_bytes > new_limit_bytes;
    cache_mutex.unlock();
    if (over) clearCache();
    return previous;
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

test "freed buffers are reused from the cache for the same size class" {
    clearCache();
    const a = try Buffer.create(100_000);
    const address = a.bytes.ptr;
    a.release();
    try std.testing.expectEqual(@as(u64, sizeClass(100_000)), cacheBytes());
    const b = try Buffer.create(99_000); // same class
    try std.testing.expectEqual(address, b.bytes.ptr);
    try std.testing.expectEqual(@as(usize, 99_000), b.bytes.len);
    try std.testing.expectEqual(@as(u64, 0), cacheBytes());
    b.release();
    const previous = setCacheLimit(0);
    defer _ = setCacheLimit(previous);
    try std.testing.expectEqual(@as(u64, 0), cacheBytes());
}

test "size classes waste at most an eighth" {
    for ([_]usize{ 1, 64, 65, 4096, 4097, 100_000, 1 << 20, (1 << 20) + 1, 123_456_789 }) |size| {
        const class = sizeClass(size);
        try std.testing.expect(class >= size);
        try std.testing.expect(class <= @max(size + size / 8, 64) or size <= 4096);
    }
}

test "the memory limit refuses allocations past it" {
    const previous = setLimit(activeBytes() + 100);
    defer _ = setLimit(previous);
    try std.testing.expectError(error.OutOfMemory, Buffer.create(1000));
}
