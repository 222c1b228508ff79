//! End-to-end tests of the native graph: build lazy nodes, evaluate, check the values.

const std = @import("std");
const memory = @import("memory.zig");
const graph = @import("graph.zig");
const Shape = @import("shape.zig").Shape;
const Array = @import("array.zig").Array;
const binary = @import("primitives/binary.zig");
const reduce = @import("primitives/reduce.zig");

fn fromSlice(comptime T: type, dtype: @import("dtype.zig").DType, values: []const T, dims: []const i32) !*Array {
    return Array.createFromBytes(dtype, try Shape.init(dims), std.mem.sliceAsBytes(values));
}

test "add broadcasts, promotes and evaluates lazily" {
    const before = memory.activeBytes();
    const a = try fromSlice(i32, .int32, &.{ 1, 2, 3, 4, 5, 6 }, &.{ 2, 3 });
    defer a.release();
    const b = try fromSlice(f32, .float32, &.{ 10, 20, 30 }, &.{3});
    defer b.release();
    const c = try binary.create(.add, a, b);
    defer c.release();
    try std.testing.expect(!c.isEvaluated());
    try graph.eval(&.{c});
    try std.testing.expect(c.isEvaluated());
    try std.testing.expectEqual(@as(usize, 0), c.inputs.len);
    const values = c.dataPtr(f32)[0..6];
    try std.testing.expectEqualSlices(f32, &.{ 11, 22, 33, 14, 25, 36 }, values);
    _ = before;
}

test "sum over axes with keepdims, and of a shared subgraph" {
    const a = try fromSlice(f32, .float32, &.{ 1, 2, 3, 4, 5, 6 }, &.{ 2, 3 });
    defer a.release();
    const doubled = try binary.create(.multiply, a, a);
    defer doubled.release();
    const rows = try reduce.create(.sum, doubled, &.{-1}, true);
    defer rows.release();
    const all = try reduce.create(.sum, doubled, &.{}, false);
    defer all.release();
    try graph.eval(&.{ rows, all });
    try std.testing.expectEqualSlices(i32, &.{ 2, 1 }, rows.shape.slice());
    try std.testing.expectEqualSlices(f32, &.{ 14, 77 }, rows.dataPtr(f32)[0..2]);
    try std.testing.expectEqual(@as(u8, 0), all.shape.ndim);
    try std.testing.expectEqual(@as(f32, 91), all.dataPtr(f32)[0]);
}

test "a long sum runs on the thread pool and matches the exact total" {
    const count = 1 << 20;
    const values = try std.testing.allocator.alloc(i32, count);
    defer std.testing.allocator.free(values);
    for (values, 0..) |*value, i| value.* = @intCast(i % 7);
    const a = try fromSlice(i32, .int32, values, &.{ 1024, 1024 });
    defer a.release();
    const sum_all = try reduce.create(.sum, a, &.{ 0, 1 }, false);
    defer sum_all.release();
    const added = try binary.create(.add, a, a);
    defer added.release();
    try graph.eval(&.{ sum_all, added });
    var expected: i32 = 0;
    for (values) |value| expected += value;
    try std.testing.expectEqual(expected, sum_all.dataPtr(i32)[0]);
    for (added.dataPtr(i32)[0..count], values) |got, value| {
        try std.testing.expectEqual(value * 2, got);
    }
}

test "reduction errors name the op and the shape" {
    const a = try fromSlice(f32, .float32, &.{ 1, 2 }, &.{2});
    defer a.release();
    try std.testing.expectError(error.InvalidArgument, reduce.create(.sum, a, &.{1}, false));
    try std.testing.expectEqualStrings("[sum] axis 1 is out of bounds for an array of shape [2]",
        @import("errors.zig").message());
    try std.testing.expectError(error.InvalidArgument, reduce.create(.sum, a, &.{ 0, -1 }, false));
}

test "a chain of elementwise ops reuses the buffer of inputs nothing else holds" {
    const a = try fromSlice(f32, .float32, &.{ 1, 2, 3, 4 }, &.{4});
    defer a.release();
    const b = try binary.create(.add, a, a); // a is held by the test: not donated
    const c = try binary.create(.multiply, b, a);
    b.release(); // only c holds b now: its buffer can be reused for c
    defer c.release();
    const before = memory.activeBytes();
    try graph.eval(&.{c});
    // One buffer for b, reused for c: 16 bytes more than before, not 32.
    try std.testing.expectEqual(before + 16, memory.activeBytes());
    try std.testing.expectEqualSlices(f32, &.{ 2, 8, 18, 32 }, c.dataPtr(f32)[0..4]);
}

test "an input used twice by the same op is not donated" {
    const a = try fromSlice(f32, .float32, &.{ 1, 2, 3 }, &.{3});
    defer a.release();
    const b = try binary.create(.add, a, a);
    const c = try binary.create(.multiply, b, b);
    b.release();
    defer c.release();
    try graph.eval(&.{c});
    try std.testing.expectEqualSlices(f32, &.{ 4, 16, 36 }, c.dataPtr(f32)[0..3]);
}
