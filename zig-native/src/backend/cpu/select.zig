//! Selection without a full sort (C++'s nth_element): reorders `items` so that `items[kth]`
//! is the element a sort would put there, with nothing greater before it and nothing smaller
//! after it. Iterative quickselect with median-of-three pivots; after a bounded number of
//! rounds the range left is sorted instead (pdq), so the worst case stays O(n log n).

const std = @import("std");
const assert = std.debug.assert;

/// Ranges this short are finished with an insertion sort.
const insertion_max = 16;

pub fn select(
    comptime T: type,
    items: []T,
    kth: usize,
    context: anytype,
    comptime lessThan: fn (@TypeOf(context), T, T) bool,
) void {
    assert(kth < items.len);
    var low: usize = 0;
    var high: usize = items.len; // Exclusive; kth stays in [low, high).
    var rounds_left: usize = 2 * std.math.log2_int(usize, items.len) + 4;
    while (high - low > insertion_max) {
        assert(low <= kth and kth < high);
        if (rounds_left == 0) {
            std.sort.pdq(T, items[low..high], context, lessThan);
            break;
        }
        rounds_left -= 1;
        const pivot = low + partitionAroundMedian(T, items[low..high], context, lessThan);
        if (kth == pivot) break;
        if (kth < pivot) high = pivot else low = pivot + 1;
    } else {
        std.sort.insertion(T, items[low..high], context, lessThan);
    }
    if (std.debug.runtime_safety) assertSelected(T, items, kth, context, lessThan);
}

/// Partitions `items` (at least 3) around the median of its first, middle and last elements;
/// returns the pivot's final position: nothing before it is greater, nothing after smaller.
fn partitionAroundMedian(
    comptime T: type,
    items: []T,
    context: anytype,
    comptime lessThan: fn (@TypeOf(context), T, T) bool,
) usize {
    assert(items.len >= 3);
    const last = items.len - 1;
    const middle = items.len / 2;
    if (lessThan(context, items[middle], items[0])) std.mem.swap(T, &items[middle], &items[0]);
    if (lessThan(context, items[last], items[0])) std.mem.swap(T, &items[last], &items[0]);
    if (lessThan(context, items[last], items[middle])) {
        std.mem.swap(T, &items[last], &items[middle]);
    }
    // items[0] <= items[middle] <= items[last]: the median becomes the pivot, at the end.
    std.mem.swap(T, &items[middle], &items[last]);
    const pivot = items[last];
    var store: usize = 0;
    for (0..last) |i| {
        if (lessThan(context, items[i], pivot)) {
            std.mem.swap(T, &items[i], &items[store]);
            store += 1;
        }
    }
    std.mem.swap(T, &items[store], &items[last]);
    return store;
}

fn assertSelected(
    comptime T: type,
    items: []const T,
    kth: usize,
    context: anytype,
    comptime lessThan: fn (@TypeOf(context), T, T) bool,
) void {
    for (items[0..kth]) |item| assert(!lessThan(context, items[kth], item));
    for (items[kth + 1 ..]) |item| assert(!lessThan(context, item, items[kth]));
}

fn lessU32(_: void, a: u32, b: u32) bool {
    return a < b;
}

test "select puts the kth element in place for every kth, on random and sorted input" {
    var prng = std.Random.DefaultPrng.init(42);
    const random = prng.random();
    var items: [300]u32 = undefined;
    var sorted: [300]u32 = undefined;
    for (0..3) |pattern| {
        for (&items, 0..) |*item, i| item.* = switch (pattern) {
            0 => random.uintLessThan(u32, 50),
            1 => @intCast(i),
            else => @intCast(300 - i),
        };
        sorted = items;
        std.sort.pdq(u32, &sorted, {}, lessU32);
        for (0..items.len) |kth| {
            var work = items;
            select(u32, &work, kth, {}, lessU32);
            try std.testing.expectEqual(sorted[kth], work[kth]);
        }
    }
}

test "select handles short ranges and a single element" {
    var one = [_]u32{7};
    select(u32, &one, 0, {}, lessU32);
    try std.testing.expectEqual(@as(u32, 7), one[0]);
    var few = [_]u32{ 5, 1, 4, 1, 3 };
    select(u32, &few, 2, {}, lessU32);
    try std.testing.expectEqual(@as(u32, 3), few[2]);
}
