//! Shapes and strides: the fixed-capacity `Shape`, element counts with overflow checks,
//! row-major strides, and NumPy broadcasting. Dimensions are i32 and strides i64 (in
//! elements), as in MLX.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("errors.zig");

/// Most dimensions an array may have.
pub const ndim_max = 16;
/// Most elements an array may have (2^47: far past any machine's memory, far below i64).
pub const size_max: i64 = 1 << 47;

pub const Shape = struct {
    ndim: u8 = 0,
    dims: [ndim_max]i32 = @splat(0),

    /// Validates and copies `dims` (each >= 0, at most `ndim_max` of them, size <= size_max).
    pub fn init(dims: []const i32) errors.Error!Shape {
        if (dims.len > ndim_max) {
            return errors.fail(error.LimitExceeded, "{d} dimensions exceed the limit of {d}", .{
                dims.len, ndim_max,
            });
        }
        var shape: Shape = .{ .ndim = @intCast(dims.len) };
        for (dims, 0..) |dim, index| {
            if (dim < 0) {
                return errors.fail(error.InvalidArgument, "negative dimension {d} at axis {d}", .{
                    dim, index,
                });
            }
            shape.dims[index] = dim;
        }
        _ = try shape.checkedSize();
        return shape;
    }

    pub fn slice(self: *const Shape) []const i32 {
        return self.dims[0..self.ndim];
    }

    /// Number of elements; the shape was validated at init so it cannot overflow.
    pub fn size(self: Shape) i64 {
        var count: i64 = 1;
        for (self.slice()) |dim| {
            if (dim == 0) return 0;
        }
        for (self.slice()) |dim| count *= dim;
        assert(count >= 0 and count <= size_max);
        return count;
    }

    fn checkedSize(self: Shape) errors.Error!i64 {
        var count: i64 = 1;
        for (self.slice()) |dim| {
            if (dim == 0) return 0;
        }
        for (self.slice()) |dim| {
            count = std.math.mul(i64, count, dim) catch size_max + 1;
            if (count > size_max) {
                return errors.fail(error.LimitExceeded, "shape {f} has more than {d} elements", .{
                    self, size_max,
                });
            }
        }
        return count;
    }

    pub fn eql(a: Shape, b: Shape) bool {
        return std.mem.eql(i32, a.slice(), b.slice());
    }

    /// Formats as `[2,3]`, the form error messages use.
    pub fn format(self: Shape, writer: *std.Io.Writer) std.Io.Writer.Error!void {
        try writer.writeByte('[');
        for (self.slice(), 0..) |dim, index| {
            if (index > 0) try writer.writeByte(',');
            try writer.print("{d}", .{dim});
        }
        try writer.writeByte(']');
    }
};

pub const Strides = [ndim_max]i64;

/// Row-major (C order) strides in elements.
pub fn rowMajorStrides(shape: Shape) Strides {
    var strides: Strides = @splat(0);
    var stride: i64 = 1;
    var axis: usize = shape.ndim;
    while (axis > 0) {
        axis -= 1;
        strides[axis] = stride;
        stride *= @max(shape.dims[axis], 1);
    }
    return strides;
}

/// The NumPy broadcast of two shapes, or a ShapeMismatch naming `op`.
pub fn broadcast(op: []const u8, a: Shape, b: Shape) errors.Error!Shape {
    const ndim = @max(a.ndim, b.ndim);
    var out: Shape = .{ .ndim = ndim };
    for (0..ndim) |back| {
        const dim_a = if (back < a.ndim) a.dims[a.ndim - 1 - back] else 1;
        const dim_b = if (back < b.ndim) b.dims[b.ndim - 1 - back] else 1;
        if (dim_a != dim_b and dim_a != 1 and dim_b != 1) {
            return errors.fail(error.ShapeMismatch, "[{s}] shapes {f} and {f} cannot be " ++
                "broadcast together", .{ op, a, b });
        }
        out.dims[ndim - 1 - back] = if (dim_a == 1) dim_b else dim_a;
    }
    return out;
}

/// Strides that read an array of `shape`/`strides` as if it had shape `target` (which it
/// broadcasts to): broadcast dimensions get stride 0.
pub fn broadcastStrides(shape: Shape, strides: Strides, target: Shape) Strides {
    assert(shape.ndim <= target.ndim);
    var out: Strides = @splat(0);
    const lead = target.ndim - shape.ndim;
    for (0..shape.ndim) |axis| {
        assert(shape.dims[axis] == target.dims[lead + axis] or shape.dims[axis] == 1);
        out[lead + axis] = if (shape.dims[axis] == 1) 0 else strides[axis];
    }
    return out;
}

/// Normalizes a possibly negative axis, or fails naming `op` and the shape.
pub fn normalizeAxis(op: []const u8, axis: i32, shape: Shape) errors.Error!u8 {
    const ndim: i32 = shape.ndim;
    const resolved = if (axis < 0) axis + ndim else axis;
    if (resolved < 0 or resolved >= ndim) {
        return errors.fail(error.InvalidArgument, "[{s}] axis {d} is out of bounds for an " ++
            "array of shape {f}", .{ op, axis, shape });
    }
    return @intCast(resolved);
}

test "broadcast follows NumPy" {
    const a = try Shape.init(&.{ 3, 1 });
    const b = try Shape.init(&.{4});
    const out = try broadcast("add", a, b);
    try std.testing.expectEqualSlices(i32, &.{ 3, 4 }, out.slice());
    const c = try Shape.init(&.{ 2, 3 });
    try std.testing.expectError(error.ShapeMismatch, broadcast("add", c, try Shape.init(&.{4})));
    try std.testing.expectEqualStrings("[add] shapes [2,3] and [4] cannot be broadcast together",
        errors.message());
}

test "shape limits are enforced" {
    try std.testing.expectError(error.InvalidArgument, Shape.init(&.{ 2, -1 }));
    try std.testing.expectError(error.LimitExceeded, Shape.init(&.{ 1 << 30, 1 << 30 }));
    try std.testing.expectEqual(@as(i64, 0), (try Shape.init(&.{ 1 << 30, 1 << 30, 0 })).size());
    const scalar = try Shape.init(&.{});
    try std.testing.expectEqual(@as(i64, 1), scalar.size());
    const strides = rowMajorStrides(try Shape.init(&.{ 2, 3, 4 }));
    try std.testing.expectEqualSlices(i64, &.{ 12, 4, 1 }, strides[0..3]);
}
