//! matmul: the matrix product with MLX's rules. The last two dimensions are the matrices, the
//! rest are batch dimensions that broadcast; a 1-D first input is a row vector and a 1-D second
//! input a column vector (their unit dimension is dropped from the result). Dtypes promote;
//! only floating-point results are accepted (MLX rejects integer matmul). addmm, inner and
//! outer are composed in TypeScript.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const gemm = @import("../backend/cpu/gemm.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

/// Records `a @ b`.
pub fn create(a: *Array, b: *Array) errors.Error!*Array {
    if (a.shape.ndim == 0 or b.shape.ndim == 0) {
        return errors.fail(error.InvalidArgument, "[matmul] inputs must have at least one " ++
            "dimension; got shapes {f} @ {f}", .{ a.shape, b.shape });
    }
    const inner_a = a.shape.dims[a.shape.ndim - 1];
    const inner_b = if (b.shape.ndim == 1) b.shape.dims[0] else b.shape.dims[b.shape.ndim - 2];
    if (inner_a != inner_b) {
        return errors.fail(error.ShapeMismatch, "[matmul] inner dimensions differ: {f} @ {f}",
            .{ a.shape, b.shape });
    }
    const dtype = dtype_mod.promote(a.dtype, b.dtype);
    if (dtype == .complex64) {
        return errors.fail(error.Unsupported, "[matmul] complex64 has no CPU kernel", .{});
    }
    if (!dtype.isFloating()) {
        return errors.fail(error.DTypeMismatch, "[matmul] only floating-point dtypes are " ++
            "supported; got {s} @ {s} (promoting to {s})", .{ a.dtype.name(), b.dtype.name(),
            dtype.name() });
    }
    const batch = try shape_mod.broadcast("matmul", batchShape(a.shape), batchShape(b.shape));
    var dims: [shape_mod.ndim_max]i32 = undefined;
    var ndim: usize = batch.ndim;
    @memcpy(dims[0..ndim], batch.slice());
    if (a.shape.ndim > 1) {
        dims[ndim] = a.shape.dims[a.shape.ndim - 2];
        ndim += 1;
    }
    if (b.shape.ndim > 1) {
        dims[ndim] = b.shape.dims[b.shape.ndim - 1];
        ndim += 1;
    }
    const out_shape = try shape_mod.Shape.init(dims[0..ndim]);
    const a_cast = try astype.create(a, dtype);
    defer a_cast.release();
    const b_cast = try astype.create(b, dtype);
    defer b_cast.release();
    return Array.createLazy(dtype, out_shape, .matmul, &.{ a_cast, b_cast });
}

/// The batch dimensions of a matmul operand: all but the last two (none for vectors).
pub fn batchShape(shape: shape_mod.Shape) shape_mod.Shape {
    var batch: shape_mod.Shape = .{};
    if (shape.ndim > 2) {
        batch.ndim = shape.ndim - 2;
        @memcpy(batch.dims[0..batch.ndim], shape.dims[0..batch.ndim]);
    }
    return batch;
}

/// Allocates the row-major output and runs the kernel for its dtype.
pub fn evalCpu(out: *Array) errors.Error!void {
    assert(out.inputs.len == 2);
    try out.allocateOutput();
    errdefer out.discardOutput();
    switch (out.dtype) {
        .float32 => try evalTyped(f32, out),
        .float64 => try evalTyped(f64, out),
        .float16 => try evalTyped(f16, out),
        .bfloat16 => try evalTyped(dtype_mod.BFloat16, out),
        else => unreachable,
    }
}

fn evalTyped(comptime T: type, out: *Array) errors.Error!void {
    const a = out.inputs[0];
    const b = out.inputs[1];
    assert(a.dtype == out.dtype and b.dtype == out.dtype);
    const matrix_dims = @as(u8, @intFromBool(a.shape.ndim > 1)) + @intFromBool(b.shape.ndim > 1);
    var batch: shape_mod.Shape = .{ .ndim = out.shape.ndim - matrix_dims };
    @memcpy(batch.dims[0..batch.ndim], out.shape.dims[0..batch.ndim]);
    const batch_count: usize = @intCast(batch.size());
    const offsets = memory.allocator.alloc(i64, 2 * batch_count) catch
        return memory.outOfMemory(2 * batch_count * @sizeOf(i64));
    defer memory.allocator.free(offsets);
    batchOffsets(a, batch, offsets[0..batch_count]);
    batchOffsets(b, batch, offsets[batch_count..]);

    const a_nd = a.shape.ndim;
    const b_nd = b.shape.ndim;
    const problem: gemm.Problem(T) = .{
        .a = .{
            .base = a.basePtr(T),
            .offsets = offsets[0..batch_count],
            .row_stride = if (a_nd > 1) a.strides[a_nd - 2] else 0,
            .column_stride = a.strides[a_nd - 1],
        },
        .b = .{
            .base = b.basePtr(T),
            .offsets = offsets[batch_count..],
            .row_stride = if (b_nd > 1) b.strides[b_nd - 2] else b.strides[0],
            .column_stride = if (b_nd > 1) b.strides[b_nd - 1] else 0,
        },
        .out = out.dataPtr(T),
        .batch = batch_count,
        .m = if (a_nd > 1) @intCast(a.shape.dims[a_nd - 2]) else 1,
        .n = if (b_nd > 1) @intCast(b.shape.dims[b_nd - 1]) else 1,
        .k = @intCast(a.shape.dims[a_nd - 1]),
    };
    try gemm.run(T, &problem);
}

/// The element offset of each batch matrix of `input` (batch dims broadcast to `batch`).
pub fn batchOffsets(input: *const Array, batch: shape_mod.Shape, offsets: []i64) void {
    const own = batchShape(input.shape);
    const strides = shape_mod.broadcastStrides(own, input.strides, batch);
    var index: [shape_mod.ndim_max]i32 = @splat(0);
    var offset: i64 = input.offset;
    for (offsets) |*slot| {
        slot.* = offset;
        var axis: usize = batch.ndim;
        while (axis > 0) {
            axis -= 1;
            index[axis] += 1;
            offset += strides[axis];
            if (index[axis] < batch.dims[axis]) break;
            offset -= strides[axis] * batch.dims[axis];
            index[axis] = 0;
        }
    }
}

const graph = @import("../graph.zig");
const view = @import("view.zig");

fn testArray(comptime T: type, dtype: dtype_mod.DType, values: []const T, dims: []const i32) !*Array {
    const shape = try shape_mod.Shape.init(dims);
    return Array.createFromBytes(dtype, shape, std.mem.sliceAsBytes(values));
}

test "matmul of a transposed view, a vector and broadcast batches" {
    const a = try testArray(f32, .float32, &.{ 0, 1, 2, 3, 4, 5 }, &.{ 3, 2 });
    defer a.release();
    const at = try view.createTranspose(a, &.{});
    defer at.release();
    const v = try testArray(i32, .int32, &.{ 1, 2, 3 }, &.{3});
    defer v.release();
    const product = try create(at, v);
    defer product.release();
    try graph.eval(&.{product});
    try std.testing.expectEqual(dtype_mod.DType.float32, product.dtype);
    try std.testing.expectEqualSlices(i32, &.{2}, product.shape.slice());
    try std.testing.expectEqualSlices(f32, &.{ 16, 22 }, product.dataPtr(f32)[0..2]);

    const batched = try testArray(f64, .float64, &.{ 1, 0, 0, 1, 2, 0, 0, 2 }, &.{ 2, 1, 2, 2 });
    defer batched.release();
    const right = try testArray(f64, .float64, &.{ 1, 2, 3, 4, 5, 6, 7, 8 }, &.{ 2, 2, 2 });
    defer right.release();
    const both = try create(batched, right);
    defer both.release();
    try graph.eval(&.{both});
    try std.testing.expectEqualSlices(i32, &.{ 2, 2, 2, 2 }, both.shape.slice());
    const want = [_]f64{ 1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 6, 8, 10, 12, 14, 16 };
    try std.testing.expectEqualSlices(f64, &want, both.dataPtr(f64)[0..16]);
}

test "matmul errors name the shapes and dtypes" {
    const a = try testArray(f32, .float32, &.{ 0, 1, 2, 3, 4, 5 }, &.{ 2, 3 });
    defer a.release();
    try std.testing.expectError(error.ShapeMismatch, create(a, a));
    try std.testing.expectEqualStrings("[matmul] inner dimensions differ: [2,3] @ [2,3]",
        errors.message());
    const i = try testArray(i32, .int32, &.{ 0, 1, 2, 3 }, &.{ 2, 2 });
    defer i.release();
    try std.testing.expectError(error.DTypeMismatch, create(i, i));
}

/// vjp of matmul: `cotangent @ b^T` for `a`, `a^T @ cotangent` for `b`, summed over broadcast
/// batch axes; vectors are treated as 1-row / 1-column matrices.
pub fn vjp(out: *Array, cotangent: *Array, argnum: usize) errors.Error!*Array {
    assert(argnum < 2);
    const a = out.inputs[0];
    const b = out.inputs[1];
    const a2 = try asMatrix(a, true);
    defer a2.release();
    const b2 = try asMatrix(b, false);
    defer b2.release();
    // The cotangent with the unit axes of vector operands restored.
    var dims: [shape_mod.ndim_max]i32 = undefined;
    const batch = out.shape.ndim - @as(usize, @intFromBool(a.shape.ndim > 1)) -
        @intFromBool(b.shape.ndim > 1);
    @memcpy(dims[0..batch], out.shape.dims[0..batch]);
    dims[batch] = a2.shape.dims[a2.shape.ndim - 2];
    dims[batch + 1] = b2.shape.dims[b2.shape.ndim - 1];
    const c2 = try view.createReshape(cotangent, try shape_mod.Shape.init(dims[0 .. batch + 2]));
    defer c2.release();
    const input = if (argnum == 0) a else b;
    const operand = if (argnum == 0) a2 else b2;
    const other = if (argnum == 0) b2 else a2;
    // An operand that is a transposed matrix (a Linear layer's weight.T) gets its gradient as
    // the transpose of the swapped product, (c^T a)^T for b: the same sums, laid out so that
    // the weight's own gradient (one more transpose) is row-major for the optimizer to read.
    const full = if (swapsLastTwo(operand)) blk: {
        const c2_t = try grad_ops.swapLastTwo(c2);
        defer c2_t.release();
        const swapped = try if (argnum == 0) create(other, c2_t) else create(c2_t, other);
        defer swapped.release();
        break :blk try grad_ops.swapLastTwo(swapped);
    } else blk: {
        const other_t = try grad_ops.swapLastTwo(other);
        defer other_t.release();
        break :blk try if (argnum == 0) create(c2, other_t) else create(other_t, c2);
    };
    defer full.release();
    const summed = try grad_ops.unbroadcast(full, operand.shape);
    defer summed.release();
    return view.createReshape(summed, input.shape);
}

/// Whether `x` is its input with the last two axes swapped: a transpose node that does only
/// that, or evaluated data laid out column-major in its last two axes.
fn swapsLastTwo(x: *const Array) bool {
    const ndim = x.shape.ndim;
    if (ndim < 2) return false;
    return switch (x.primitive) {
        .transpose => |permutation| blk: {
            for (0..ndim - 2) |axis| if (permutation.axes[axis] != axis) break :blk false;
            break :blk permutation.axes[ndim - 2] == ndim - 1 and permutation.axes[ndim - 1] == ndim - 2;
        },
        .none => x.buffer != null and x.shape.dims[ndim - 2] > 1 and x.shape.dims[ndim - 1] > 1 and
            x.strides[ndim - 2] == 1 and x.strides[ndim - 1] == x.shape.dims[ndim - 2],
        else => false,
    };
}

/// A 1-D operand as a matrix: a row (`row`) or a column; matrices as they are.
fn asMatrix(x: *Array, row: bool) errors.Error!*Array {
    if (x.shape.ndim > 1) {
        x.retain();
        return x;
    }
    const n = x.shape.dims[0];
    return view.createReshape(x, try shape_mod.Shape.init(if (row) &.{ 1, n } else &.{ n, 1 }));
}
