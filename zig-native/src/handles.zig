//! The handle table: the only way arrays cross the C ABI. A handle is 32 bits: the slot index
//! in the low `index_bits`, the slot's generation above. Freeing a slot bumps its generation,
//! so a stale handle no longer matches; 0 is never issued. Lookups take a mutex, so handles
//! may be used from any thread.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("errors.zig");
const memory = @import("memory.zig");
const Array = @import("array.zig").Array;

pub const Handle = u32;

const index_bits = 20;
const generation_bits = 32 - index_bits;
/// Most arrays that may be live (held by a handle) at once.
pub const handles_max = (1 << index_bits) - 1;
const generation_max = (1 << generation_bits) - 1;

const Slot = struct {
    array: ?*Array,
    /// Never 0 for an issued handle, so the handle 0 matches no slot.
    generation: u32,
    next_free: u32,
};

const no_free_slot = std.math.maxInt(u32);

var mutex: std.Thread.Mutex = .{};
var slots: std.ArrayList(Slot) = .empty;
var first_free: u32 = no_free_slot;
var live_count: u32 = 0;

/// Issues a handle owning one reference to `array` (the caller's reference moves in). On
/// failure the reference is released.
pub fn insert(array: *Array) errors.Error!Handle {
    mutex.lock();
    defer mutex.unlock();
    errdefer array.release();
    const index: u32 = if (first_free != no_free_slot) blk: {
        const reused = first_free;
        first_free = slots.items[reused].next_free;
        break :blk reused;
    } else blk: {
        if (slots.items.len >= handles_max) {
            return errors.fail(error.LimitExceeded, "more than {d} arrays are alive; dispose " ++
                "of arrays that are no longer needed", .{handles_max});
        }
        // Index 0 is kept unused so that no handle is ever 0.
        if (slots.items.len == 0) try appendSlot();
        try appendSlot();
        break :blk @intCast(slots.items.len - 1);
    };
    const slot = &slots.items[index];
    assert(slot.array == null);
    slot.array = array;
    live_count += 1;
    return (slot.generation << index_bits) | index;
}

fn appendSlot() errors.Error!void {
    slots.append(memory.allocator, .{ .array = null, .generation = 1, .next_free = no_free_slot }) catch
        return memory.outOfMemory(@sizeOf(Slot) * (slots.items.len + 1));
}

fn findSlot(handle: Handle) errors.Error!*Slot {
    const index = handle & ((1 << index_bits) - 1);
    const generation = handle >> index_bits;
    if (handle == 0 or index == 0 or index >= slots.items.len) {
        return errors.fail(error.InvalidHandle, "invalid array handle {d}: never issued", .{handle});
    }
    const slot = &slots.items[index];
    if (slot.array == null or slot.generation != generation) {
        return errors.fail(error.InvalidHandle, "invalid array handle {d}: the array was " ++
            "disposed", .{handle});
    }
    return slot;
}

/// The array behind `handle`, with one new reference the caller must release.
pub fn acquire(handle: Handle) errors.Error!*Array {
    mutex.lock();
    defer mutex.unlock();
    const array = (try findSlot(handle)).array.?;
    array.retain();
    return array;
}

/// Frees `handle`, dropping its reference to the array.
pub fn remove(handle: Handle) errors.Error!void {
    mutex.lock();
    const slot = findSlot(handle) catch |err| {
        mutex.unlock();
        return err;
    };
    const array = slot.array.?;
    const index = handle & ((1 << index_bits) - 1);
    slot.array = null;
    slot.generation = if (slot.generation == generation_max) 1 else slot.generation + 1;
    slot.next_free = first_free;
    first_free = index;
    live_count -= 1;
    mutex.unlock();
    array.release();
}

pub fn liveCount() u32 {
    mutex.lock();
    defer mutex.unlock();
    return live_count;
}

test "stale, forged and zero handles are errors" {
    const shape = try @import("shape.zig").Shape.init(&.{1});
    const array = try Array.createFromBytes(.float32, shape, std.mem.asBytes(&@as(f32, 1)));
    const handle = try insert(array);
    const again = try acquire(handle);
    again.release();
    try remove(handle);
    try std.testing.expectError(error.InvalidHandle, acquire(handle));
    try std.testing.expectError(error.InvalidHandle, remove(handle));
    try std.testing.expectError(error.InvalidHandle, acquire(0));
    try std.testing.expectError(error.InvalidHandle, acquire(0xdead_beef));
    // The slot is reused with a new generation: the old handle still fails.
    const other = try Array.createFromBytes(.float32, shape, std.mem.asBytes(&@as(f32, 2)));
    const new_handle = try insert(other);
    try std.testing.expect(new_handle != handle);
    try std.testing.expectError(error.InvalidHandle, acquire(handle));
    try remove(new_handle);
}
