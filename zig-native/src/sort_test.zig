//! End-to-end tests of the sorting primitives: build lazy nodes, evaluate, check the values.

const std = @import("std");
const errors = @import("errors.zig");
const graph = @import("graph.zig");
const Shape = @import("shape.zig").Shape;
const Array = @import("array.zig").Array;
const DType = @import("dtype.zig").DType;
const sort = @import("primitives/sort.zig");
const view = @import("primitives/view.zig");

fn fromSlice(comptime T: type, dtype: DType, values: []const T, dims: []const i32) !*Array {
    return Array.createFromBytes(dtype, try Shape.init(dims), std.mem.sliceAsBytes(values));
}

/// The evaluated elements of `array` (row-contiguous).
fn valuesOf(comptime T: type, array: *Array) ![]const T {
    try graph.eval(&.{array});
    return array.dataPtr(T)[0..@intCast(array.shape.size())];
}

test "sort puts NaN last and argsort keeps ties in input order" {
    const nan = std.math.nan(f32);
    const a = try fromSlice(f32, .float32, &.{ 3, nan, -1, 2, -1, std.math.inf(f32), 3 }, &.{7});
    defer a.release();
    const sorted = try sort.create(.sort, a, -1, 0);
    defer sorted.release();
    const got = try valuesOf(f32, sorted);
    try std.testing.expectEqualSlices(f32, &.{ -1, -1, 2, 3, 3, std.math.inf(f32) }, got[0..6]);
    try std.testing.expect(std.math.isNan(got[6]));
    const order = try sort.create(.argsort, a, 0, 0);
    defer order.release();
    try std.testing.expectEqual(DType.uint32, order.dtype);
    try std.testing.expectEqualSlices(u32, &.{ 2, 4, 3, 0, 6, 5, 1 }, try valuesOf(u32, order));
}

test "sort along axis 0 of a transposed view" {
    const a = try fromSlice(i32, .int32, &.{ 5, 1, 4, 2, 0, 3 }, &.{ 2, 3 });
    defer a.release();
    const t = try view.createTranspose(a, &.{ 1, 0 }); // [[5, 2], [1, 0], [4, 3]]
    defer t.release();
    const sorted = try sort.create(.sort, t, 0, 0);
    defer sorted.release();
    try std.testing.expectEqualSlices(i32, &.{ 1, 0, 4, 2, 5, 3 }, try valuesOf(i32, sorted));
}

test "partition puts the kth element in place; negative kth counts from the end" {
    const a = try fromSlice(i32, .int32, &.{ 5, 1, 4, 1, 3, 9, 2, 6 }, &.{8});
    defer a.release();
    const p = try sort.create(.partition, a, -1, -3);
    defer p.release();
    const got = try valuesOf(i32, p);
    try std.testing.expectEqual(@as(i32, 5), got[5]);
    for (got[0..5]) |x| try std.testing.expect(x <= 5);
    for (got[6..]) |x| try std.testing.expect(x >= 5);
}

test "topk gives the k largest along the axis" {
    const a = try fromSlice(i32, .int32, &.{ 5, 1, 4, 1, 3, 9, 2, 6 }, &.{ 2, 4 });
    defer a.release();
    const top = try sort.create(.topk, a, 1, 2);
    defer top.release();
    try std.testing.expectEqualSlices(i32, &.{ 2, 2 }, top.shape.slice());
    const copy = try @import("primitives/astype.zig").createCopy(top);
    defer copy.release();
    const got = try valuesOf(i32, copy);
    var rows: [4]i32 = got[0..4].*;
    std.sort.pdq(i32, rows[0..2], {}, std.sort.asc(i32));
    std.sort.pdq(i32, rows[2..4], {}, std.sort.asc(i32));
    try std.testing.expectEqualSlices(i32, &.{ 4, 5, 6, 9 }, &rows);
}

test "invalid kth, k and axes fail with the op, value and axis size" {
    const a = try fromSlice(i32, .int32, &.{ 5, 1, 4 }, &.{3});
    defer a.release();
    try std.testing.expectError(error.InvalidArgument, sort.create(.partition, a, -1, 3));
    try std.testing.expectEqualStrings("[partition] invalid kth 3 along axis -1 of size 3 " ++
        "(shape [3]); kth must be in [-3, 3)", errors.message());
    try std.testing.expectError(error.InvalidArgument, sort.create(.argpartition, a, 0, -4));
    try std.testing.expectError(error.InvalidArgument, sort.create(.topk, a, -1, 4));
    try std.testing.expectEqualStrings("[topk] invalid k 4 along axis -1 of size 3 (shape [3]); " ++
        "k must be in [0, 3]", errors.message());
    const scalar = try fromSlice(i32, .int32, &.{7}, &.{});
    defer scalar.release();
    try std.testing.expectError(error.InvalidArgument, sort.create(.sort, scalar, -1, 0));
}

test "many lines sort on the thread pool" {
    const rows = 64;
    const columns = 1000;
    const values = try std.testing.allocator.alloc(i32, rows * columns);
    defer std.testing.allocator.free(values);
    for (values, 0..) |*value, i| value.* = @intCast((i * 7919) % 1009);
    const a = try fromSlice(i32, .int32, values, &.{ rows, columns });
    defer a.release();
    const sorted = try sort.create(.sort, a, 1, 0);
    defer sorted.release();
    const by_column = try sort.create(.argsort, a, 0, 0);
    defer by_column.release();
    const got = try valuesOf(i32, sorted);
    for (0..rows) |row| {
        const line = got[row * columns ..][0..columns];
        try std.testing.expect(std.sort.isSorted(i32, line, {}, std.sort.asc(i32)));
    }
    const positions = try valuesOf(u32, by_column);
    for (0..columns) |column| {
        var previous: i32 = std.math.minInt(i32);
        for (0..rows) |row| {
            const value = values[positions[row * columns + column] * columns + column];
            try std.testing.expect(value >= previous);
            previous = value;
        }
    }
}
