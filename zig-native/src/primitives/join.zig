//! concatenate: joins arrays along an existing axis, the one joining primitive. stack, split,
//! repeat, tile, pad and roll are composed from it and the views in TypeScript.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const cpu_copy = @import("../backend/cpu/copy.zig");
const view = @import("view.zig");

/// Most arrays one concatenate takes.
pub const inputs_max = 1 << 16;

pub const ConcatParams = struct {
    /// The (normalized) axis the inputs are joined along.
    axis: u8,
};

/// Records `inputs` joined along `axis` (negative counts from the end): every input has the
/// same number of dimensions and the same dimensions except on `axis`; dtypes promote (MLX's
/// table). One input gives a reference to itself.
pub fn createConcatenate(inputs: []const *Array, axis: i32) errors.Error!*Array {
    if (inputs.len == 0 or inputs.len > inputs_max) {
        return errors.fail(error.InvalidArgument, "[concatenate] {d} arrays given; it takes 1 " ++
            "to {d}", .{ inputs.len, inputs_max });
    }
    const first = inputs[0].shape;
    for (inputs[1..]) |input| {
        if (input.shape.ndim != first.ndim) {
            return errors.fail(error.ShapeMismatch, "[concatenate] all arrays must have the " ++
                "same number of dimensions; got {d} and {d} (shapes {f})", .{
                first.ndim, input.shape.ndim, ShapeList{ .arrays = inputs },
            });
        }
    }
    const resolved = try shape_mod.normalizeAxis("concatenate", axis, first);
    const out_shape = try joinedShape(inputs, resolved);
    var dtype = inputs[0].dtype;
    for (inputs[1..]) |input| dtype = dtype_mod.promote(dtype, input.dtype);
    if (inputs.len == 1) return astype.create(inputs[0], dtype);

    const cast = memory.allocator.alloc(*Array, inputs.len) catch
        return memory.outOfMemory(inputs.len * @sizeOf(*Array));
    defer memory.allocator.free(cast);
    var cast_count: usize = 0;
    defer for (cast[0..cast_count]) |array| array.release();
    for (inputs) |input| {
        cast[cast_count] = try astype.create(input, dtype);
        cast_count += 1;
    }
    const params: ConcatParams = .{ .axis = resolved };
    return Array.createLazy(dtype, out_shape, .{ .concatenate = params }, cast);
}

/// The shape of the joined array, or a ShapeMismatch naming every input's shape.
fn joinedShape(inputs: []const *Array, axis: u8) errors.Error!shape_mod.Shape {
    var out_shape = inputs[0].shape;
    var joined: i64 = 0;
    for (inputs) |input| {
        assert(input.shape.ndim == out_shape.ndim);
        for (0..out_shape.ndim) |i| {
            if (i != axis and input.shape.dims[i] != out_shape.dims[i]) {
                const shapes: ShapeList = .{ .arrays = inputs };
                return errors.fail(error.ShapeMismatch, "[concatenate] all dimensions except " ++
                    "axis {d} must match; got shapes {f}", .{ axis, shapes });
            }
        }
        joined += input.shape.dims[axis];
    }
    if (joined > std.math.maxInt(i32)) {
        return errors.fail(error.LimitExceeded, "[concatenate] axis {d} would have {d} " ++
            "elements; the limit is {d}", .{ axis, joined, std.math.maxInt(i32) });
    }
    out_shape.dims[axis] = @intCast(joined);
    return shape_mod.Shape.init(out_shape.slice());
}

/// Formats the shapes of arrays as `[2,3], [2,2]`, for error messages.
const ShapeList = struct {
    arrays: []const *Array,

    pub fn format(self: ShapeList, writer: *std.Io.Writer) std.Io.Writer.Error!void {
        for (self.arrays, 0..) |array, index| {
            if (index > 0) try writer.writeAll(", ");
            try array.shape.format(writer);
        }
    }
};

/// Allocates the output row-major and copies each input into its block along the axis.
pub fn evalCpu(params: ConcatParams, out: *Array) errors.Error!void {
    assert(out.inputs.len >= 2);
    assert(params.axis < out.shape.ndim);
    try out.allocateOutput();
    const axis_stride = out.strides[params.axis];
    var region_offset: i64 = out.offset;
    for (out.inputs) |input| {
        assert(input.dtype == out.dtype);
        cpu_copy.runRegion(out, region_offset, input);
        region_offset += @as(i64, input.shape.dims[params.axis]) * axis_stride;
    }
    assert(region_offset - out.offset == @as(i64, out.shape.dims[params.axis]) * axis_stride);
}

/// vjp of concatenate: input `argnum`'s block of the cotangent along the axis.
pub fn vjp(params: ConcatParams, node: *Array, cotangent: *Array, argnum: usize) errors.Error!*Array {
    const ndim = node.shape.ndim;
    var starts: [shape_mod.ndim_max]i32 = @splat(0);
    const steps: [shape_mod.ndim_max]i32 = @splat(1);
    for (node.inputs[0..argnum]) |input| starts[params.axis] += input.shape.dims[params.axis];
    const sizes = node.inputs[argnum].shape.slice();
    return view.createSlice(cotangent, starts[0..ndim], sizes, steps[0..ndim]);
}

const graph = @import("../graph.zig");

fn testArray(
    comptime T: type,
    dtype: dtype_mod.DType,
    values: []const T,
    dims: []const i32,
) !*Array {
    const shape = try shape_mod.Shape.init(dims);
    return Array.createFromBytes(dtype, shape, std.mem.sliceAsBytes(values));
}

test "concatenate joins a transposed view and a promoted input along the last axis" {
    const before = memory.activeBytes();
    const base = try testArray(f32, .float32, &.{ 0, 1, 2, 3, 4, 5 }, &.{ 3, 2 });
    defer base.release();
    const transposed = try view.createTranspose(base, &.{});
    defer transposed.release();
    const column = try testArray(i32, .int32, &.{ 10, 11 }, &.{ 2, 1 });
    defer column.release();
    const joined = try createConcatenate(&.{ transposed, column }, -1);
    try std.testing.expectEqual(dtype_mod.DType.float32, joined.dtype);
    try std.testing.expectEqualSlices(i32, &.{ 2, 4 }, joined.shape.slice());
    try graph.eval(&.{joined});
    const want = [_]f32{ 0, 2, 4, 10, 1, 3, 5, 11 };
    try std.testing.expectEqualSlices(f32, &want, joined.dataPtr(f32)[0..8]);
    joined.release();
    try std.testing.expect(memory.activeBytes() == before + 6 * 4 + 2 * 4);
}

test "concatenate along axis 0 skips empty inputs" {
    const a = try testArray(u8, .uint8, &.{ 1, 2, 3, 4 }, &.{ 2, 2 });
    defer a.release();
    const empty = try testArray(u8, .uint8, &.{}, &.{ 0, 2 });
    defer empty.release();
    const joined = try createConcatenate(&.{ empty, a, empty, a }, 0);
    defer joined.release();
    try graph.eval(&.{joined});
    try std.testing.expectEqualSlices(u8, &.{ 1, 2, 3, 4, 1, 2, 3, 4 }, joined.dataPtr(u8)[0..8]);
}

test "concatenate errors name the op and the shapes" {
    const a = try testArray(i32, .int32, &.{ 0, 1, 2, 3, 4, 5 }, &.{ 2, 3 });
    defer a.release();
    const b = try testArray(i32, .int32, &.{ 0, 1, 2, 3 }, &.{ 2, 2 });
    defer b.release();
    try std.testing.expectError(error.ShapeMismatch, createConcatenate(&.{ a, b }, 0));
    try std.testing.expectEqualStrings("[concatenate] all dimensions except axis 0 must match; " ++
        "got shapes [2,3], [2,2]", errors.message());
    const c = try testArray(i32, .int32, &.{ 0, 1 }, &.{2});
    defer c.release();
    try std.testing.expectError(error.ShapeMismatch, createConcatenate(&.{ a, c }, 0));
    try std.testing.expectError(error.InvalidArgument, createConcatenate(&.{ a, a }, 2));
    try std.testing.expectError(error.InvalidArgument, createConcatenate(&.{}, 0));
}
