//! as_strided (MLX's AsStrided): a view of the row-major flattened input with any shape,
//! element strides (any sign, 0 and overlapping allowed) and offset. Unlike MLX, every
//! element the view reaches must lie inside the input: out-of-range views are errors, never
//! reads outside the buffer. Its vjp scatter-adds the cotangent into zeros through the same
//! view of `arange(size)`, so elements seen several times (overlapping windows) accumulate.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const view = @import("view.zig");
const creation = @import("creation.zig");
const indexing = @import("indexing.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

const Shape = shape_mod.Shape;

pub const Params = struct {
    /// Element strides of the output into the flattened input (zero past ndim).
    strides: shape_mod.Strides,
    /// Element offset of the output's first element into the flattened input.
    offset: i64,
};

/// Records the view of `input` (flattened row-major first) with shape `target`, `strides`
/// and `offset`, after checking that every element it reaches is inside the input.
pub fn create(input: *Array, target: Shape, strides: []const i64, offset: i64) errors.Error!*Array {
    const ndim = target.ndim;
    if (strides.len != ndim) {
        return errors.fail(error.InvalidArgument, "[as_strided] {d} strides given for the shape " ++
            "{f}; expected one per axis", .{ strides.len, target });
    }
    const size: i64 = @intCast(input.shape.size());
    if (target.size() > 0) {
        var lowest: i64 = offset;
        var highest: i64 = offset;
        for (0..ndim) |axis| {
            const reach = std.math.mul(i64, target.dims[axis] - 1, strides[axis]) catch {
                return errors.fail(error.InvalidArgument, "[as_strided] stride {d} on axis {d} " ++
                    "overflows", .{ strides[axis], axis });
            };
            if (reach < 0) lowest += reach else highest += reach;
        }
        if (lowest < 0 or highest >= size) {
            return errors.fail(error.InvalidArgument, "[as_strided] the view of shape {f} with " ++
                "offset {d} reaches elements {d} to {d}, outside an input of {d} elements " ++
                "(shape {f})", .{ target, offset, lowest, highest, size, input.shape });
        }
    }
    const flat = try flattenContiguous(input);
    defer flat.release();
    var params: Params = .{ .strides = @splat(0), .offset = if (target.size() > 0) offset else 0 };
    @memcpy(params.strides[0..ndim], strides);
    return Array.createLazy(input.dtype, target, .{ .as_strided = params }, &.{flat});
}

/// A 1-D row-contiguous form of `input`: a reshape (which copies strided layouts), or a
/// copy when `input` is already 1-D and not known to be contiguous.
fn flattenContiguous(input: *Array) errors.Error!*Array {
    var flat_shape: Shape = .{ .ndim = 1 };
    flat_shape.dims[0] = @intCast(input.shape.size());
    const flat = try view.createReshape(input, flat_shape);
    if (flat != input) return flat;
    if (input.isEvaluated() and input.isRowContiguous()) return flat;
    defer flat.release();
    return astype.createCopy(input);
}

pub fn evalCpu(params: Params, out: *Array) void {
    const input = out.inputs[0];
    assert(input.isEvaluated());
    assert(input.shape.ndim == 1);
    assert(input.isRowContiguous());
    const buffer = input.buffer.?;
    buffer.retain();
    out.buffer = buffer;
    out.offset = input.offset + params.offset;
    out.strides = params.strides;
    assert(out.offset >= 0);
}

/// vjp: zeros of the flattened input with the cotangent scatter-added at the positions the
/// view reads (the view applied to `arange(size)`), as MLX.
pub fn vjp(params: Params, out: *Array, cotangent: *Array) errors.Error!*Array {
    const flat_input = out.inputs[0];
    assert(flat_input.shape.ndim == 1);
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    const size = flat_input.shape.dims[0];
    const zeros = try temps.keep(grad_ops.zeros(flat_input.dtype, flat_input.shape));
    const range = try temps.keep(creation.createArange(0, @floatFromInt(size), 1, .int64));
    const positions = try temps.keep(create(range, out.shape, params.strides[0..out.shape.ndim], params.offset));
    var flat_out: Shape = .{ .ndim = 1 };
    flat_out.dims[0] = @intCast(out.shape.size());
    const index = try temps.keep(view.createReshape(positions, flat_out));
    const updates = try temps.keep(view.createReshape(cotangent, flat_out));
    return indexing.createScatter(.add, zeros, &.{index}, updates);
}

const graph = @import("../graph.zig");

fn testArray(comptime T: type, dtype: @import("../dtype.zig").DType, values: []const T, dims: []const i32) !*Array {
    const shape = try Shape.init(dims);
    return Array.createFromBytes(dtype, shape, std.mem.sliceAsBytes(values));
}

test "as_strided shares a contiguous input's buffer with overlapping windows" {
    const base = try testArray(i32, .int32, &.{ 0, 1, 2, 3, 4, 5 }, &.{ 2, 3 });
    defer base.release();
    const windows = try create(base, try Shape.init(&.{ 4, 3 }), &.{ 1, 1 }, 0);
    defer windows.release();
    try graph.eval(&.{windows});
    try std.testing.expect(windows.buffer.? == base.buffer.?);
    const flat = try astype.createCopy(windows);
    defer flat.release();
    try graph.eval(&.{flat});
    const want = [_]i32{ 0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5 };
    try std.testing.expectEqualSlices(i32, &want, flat.dataPtr(i32)[0..12]);
}

test "as_strided copies a strided 1-D input first and honours negative strides" {
    const base = try testArray(f32, .float32, &.{ 0, 1, 2, 3, 4, 5 }, &.{6});
    defer base.release();
    const every_other = try view.createSlice(base, &.{0}, &.{3}, &.{2});
    defer every_other.release();
    const reversed = try create(every_other, try Shape.init(&.{3}), &.{-1}, 2);
    defer reversed.release();
    const flat = try astype.createCopy(reversed);
    defer flat.release();
    try graph.eval(&.{flat});
    try std.testing.expectEqualSlices(f32, &.{ 4, 2, 0 }, flat.dataPtr(f32)[0..3]);
}

test "as_strided rejects views reaching outside the input" {
    const base = try testArray(u8, .uint8, &.{ 1, 2, 3, 4 }, &.{4});
    defer base.release();
    try std.testing.expectError(error.InvalidArgument, create(base, try Shape.init(&.{ 2, 2 }), &.{ 2, 2 }, 0));
    try std.testing.expectEqualStrings("[as_strided] the view of shape [2,2] with offset 0 reaches " ++
        "elements 0 to 4, outside an input of 4 elements (shape [4])", errors.message());
    try std.testing.expectError(error.InvalidArgument, create(base, try Shape.init(&.{2}), &.{-1}, 0));
    try std.testing.expectError(error.InvalidArgument, create(base, try Shape.init(&.{2}), &.{ 1, 1 }, 0));
    const empty = try create(base, try Shape.init(&.{ 0, 5 }), &.{ 9, 9 }, 7);
    empty.release();
}
