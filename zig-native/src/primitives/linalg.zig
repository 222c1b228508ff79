//! The factorization primitives of mx.linalg, as MLX has them: Inverse (general, or of a
//! triangle), Cholesky and LUF. Inputs are float32 or float64 (MLX accepts no other dtype and
//! does not promote), at least 2-D, batched over the leading dimensions; any strides.
//! Numerical failures are errors at evaluation: MLX raises for a singular matrix in inv and
//! tri_inv; for a matrix that is not positive definite MLX's cholesky returns LAPACK's partial
//! result, we raise instead. LUF, which MLX gives three outputs (LU, pivots, row indices),
//! returns one packed array per matrix (see `createLuFactor`), unpacked by views in
//! TypeScript, since a node here has one output.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const matmul = @import("matmul.zig");
const matrix_batch = @import("../backend/cpu/matrix_batch.zig");
const lu = @import("../backend/cpu/lu.zig");
const triangular = @import("../backend/cpu/triangular.zig");
const cholesky = @import("../backend/cpu/cholesky.zig");
const binary = @import("binary.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

pub const InverseParams = struct {
    /// Invert only the triangle named by `upper` (tri_inv); false: a general inverse.
    triangular: bool,
    upper: bool,
};

pub const CholeskyParams = struct {
    /// Read the upper triangle and return U with A = U^T U; false: L with A = L L^T.
    upper: bool,
};

/// Largest row count whose indices float32 stores exactly in the packed LUF output.
const float32_exact_rows_max = 1 << 24;

/// Records the inverse of each matrix in the last two axes of `a` (MLX's Inverse).
pub fn createInverse(a: *Array, params: InverseParams) errors.Error!*Array {
    const op = if (params.triangular) "tri_inv" else "inv";
    try checkMatrices(op, a);
    try checkSquare(op, a, "inverses are");
    return Array.createLazy(a.dtype, a.shape, .{ .inverse = params }, &.{a});
}

/// Records the Cholesky factor of each matrix in the last two axes of `a`.
pub fn createCholesky(a: *Array, params: CholeskyParams) errors.Error!*Array {
    try checkMatrices("cholesky", a);
    try checkSquare("cholesky", a, "the Cholesky decomposition is");
    return Array.createLazy(a.dtype, a.shape, .{ .cholesky = params }, &.{a});
}

/// Records MLX's LUF of each M x N matrix in the last two axes of `a`, packed: the result
/// has shape `[...batch, M*N + K + M]` (K = min(M, N)), each slot holding the row-major
/// factors (unit L below the diagonal, U on and above), then LAPACK's 0-based pivots, then
/// the row indices (row i of `a` is row `indices[i]` of L @ U), integers as a's dtype.
pub fn createLuFactor(a: *Array) errors.Error!*Array {
    try checkMatrices("lu_factor", a);
    const nd = a.shape.ndim;
    const rows: i64 = a.shape.dims[nd - 2];
    const columns: i64 = a.shape.dims[nd - 1];
    if (a.dtype == .float32 and rows > float32_exact_rows_max) {
        return errors.fail(error.LimitExceeded, "[linalg::lu_factor] float32 holds row indices " ++
            "exactly up to {d} rows; got shape {f}", .{ float32_exact_rows_max, a.shape });
    }
    const slot = rows * columns + @min(rows, columns) + rows;
    if (slot > std.math.maxInt(i32)) {
        return errors.fail(error.LimitExceeded, "[linalg::lu_factor] matrices of shape {f} are " ++
            "too large to factor", .{a.shape});
    }
    var out_shape = matmul.batchShape(a.shape);
    out_shape.dims[out_shape.ndim] = @intCast(slot);
    out_shape.ndim += 1;
    return Array.createLazy(a.dtype, out_shape, .lu_factor, &.{a});
}

fn checkMatrices(op: []const u8, a: *const Array) errors.Error!void {
    if (a.dtype != .float32 and a.dtype != .float64) {
        return errors.fail(error.DTypeMismatch, "[linalg::{s}] Arrays must have type float32 or " ++
            "float64. Received array with type {s}.", .{ op, a.dtype.name() });
    }
    if (a.shape.ndim < 2) {
        return errors.fail(error.InvalidArgument, "[linalg::{s}] Arrays must have >= 2 " ++
            "dimensions. Received array with {d} dimensions.", .{ op, a.shape.ndim });
    }
}

fn checkSquare(op: []const u8, a: *const Array, what: []const u8) errors.Error!void {
    const nd = a.shape.ndim;
    if (a.shape.dims[nd - 1] != a.shape.dims[nd - 2]) {
        return errors.fail(error.ShapeMismatch, "[linalg::{s}] {s} only defined for square " ++
            "matrices; got shape {f}", .{ op, what, a.shape });
    }
}

/// The matrices of `input` (its last two axes) as a kernel source; `offsets` has one slot per
/// matrix.
fn sourceOf(comptime T: type, input: *const Array, offsets: []i64) matrix_batch.Source(T) {
    const nd = input.shape.ndim;
    matmul.batchOffsets(input, matmul.batchShape(input.shape), offsets);
    return .{
        .base = input.basePtr(T),
        .offsets = offsets,
        .row_stride = input.strides[nd - 2],
        .column_stride = input.strides[nd - 1],
    };
}

fn matrixCount(input: *const Array) usize {
    return @intCast(matmul.batchShape(input.shape).size());
}

/// Runs a factorization task over the batch (see matrix_batch.run).
fn runTask(task: anytype, count: usize, flops: usize) errors.Error!?matrix_batch.Failure {
    const Task = @TypeOf(task.*);
    return matrix_batch.run(Task, task, count, flops, task.scratchBytes());
}

fn allocOffsets(count: usize) errors.Error![]i64 {
    return memory.allocator.alloc(i64, count) catch memory.outOfMemory(count * @sizeOf(i64));
}

pub fn evalInverse(params: InverseParams, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    try out.allocateOutput();
    errdefer out.discardOutput();
    switch (out.dtype) {
        .float32 => try evalInverseTyped(f32, params, out),
        .float64 => try evalInverseTyped(f64, params, out),
        else => unreachable,
    }
}

fn evalInverseTyped(comptime T: type, params: InverseParams, out: *Array) errors.Error!void {
    const input = out.inputs[0];
    const count = matrixCount(input);
    const offsets = try allocOffsets(count);
    defer memory.allocator.free(offsets);
    const n: usize = @intCast(input.shape.dims[input.shape.ndim - 1]);
    const source = sourceOf(T, input, offsets);
    if (params.triangular) {
        const task: triangular.Inverse(T) = .{
            .source = source,
            .out = out.dataPtr(T),
            .n = n,
            .upper = params.upper,
        };
        if (try runTask(&task, count, n * n * n)) |f| {
            return errors.fail(error.InvalidArgument, "[linalg::tri_inv] the matrix is " ++
                "singular: diagonal element {d} is zero (matrix {d} of the batch)", .{
                f.info, f.matrix_index,
            });
        }
        return;
    }
    const task: lu.Inverse(T) = .{ .source = source, .out = out.dataPtr(T), .n = n };
    if (try runTask(&task, count, 2 * n * n * n)) |f| {
        return errors.fail(error.InvalidArgument, "[linalg::inv] the matrix is singular: " ++
            "U[{d},{d}] is zero after LU factorization (matrix {d} of the batch)", .{
            f.info, f.info, f.matrix_index,
        });
    }
}

pub fn evalCholesky(params: CholeskyParams, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    try out.allocateOutput();
    errdefer out.discardOutput();
    switch (out.dtype) {
        .float32 => try evalCholeskyTyped(f32, params, out),
        .float64 => try evalCholeskyTyped(f64, params, out),
        else => unreachable,
    }
}

fn evalCholeskyTyped(comptime T: type, params: CholeskyParams, out: *Array) errors.Error!void {
    const input = out.inputs[0];
    const count = matrixCount(input);
    const offsets = try allocOffsets(count);
    defer memory.allocator.free(offsets);
    const n: usize = @intCast(input.shape.dims[input.shape.ndim - 1]);
    const task: cholesky.Factorization(T) = .{
        .source = sourceOf(T, input, offsets),
        .out = out.dataPtr(T),
        .n = n,
        .upper = params.upper,
    };
    if (try runTask(&task, count, n * n * n / 3 + 1)) |f| {
        return errors.fail(error.InvalidArgument, "[linalg::cholesky] the matrix is not " ++
            "positive definite: its leading minor of order {d} is not positive " ++
            "(matrix {d} of the batch)", .{
            f.info + 1, f.matrix_index,
        });
    }
}

pub fn evalLuFactor(out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    try out.allocateOutput();
    errdefer out.discardOutput();
    switch (out.dtype) {
        .float32 => try evalLuFactorTyped(f32, out),
        .float64 => try evalLuFactorTyped(f64, out),
        else => unreachable,
    }
}

fn evalLuFactorTyped(comptime T: type, out: *Array) errors.Error!void {
    const input = out.inputs[0];
    const count = matrixCount(input);
    const offsets = try allocOffsets(count);
    defer memory.allocator.free(offsets);
    const nd = input.shape.ndim;
    const rows: usize = @intCast(input.shape.dims[nd - 2]);
    const columns: usize = @intCast(input.shape.dims[nd - 1]);
    const task: lu.Factorization(T) = .{
        .source = sourceOf(T, input, offsets),
        .out = out.dataPtr(T),
        .rows = rows,
        .columns = columns,
    };
    const flops = rows * columns * @min(rows, columns) + 1;
    assert(try runTask(&task, count, flops) == null);
}

/// vjp of inverse: with X = A^-1, the cotangent of A is -X^T G X^T; a triangular inverse reads
/// only its triangle, so the rest gets zero. (MLX 0.32.4 has no derivative for Inverse.)
pub fn vjpInverse(params: InverseParams, out: *Array, cotangent: *Array) errors.Error!*Array {
    const x_t = try grad_ops.swapLastTwo(out);
    defer x_t.release();
    const left = try matmul.create(x_t, cotangent);
    defer left.release();
    const product = try matmul.create(left, x_t);
    defer product.release();
    const negated = try grad_ops.negate(product);
    if (!params.triangular) return negated;
    defer negated.release();
    const mask = try triangleMask(out.dtype, out.shape.dims[out.shape.ndim - 1], params.upper);
    defer mask.release();
    return binary.create(.multiply, negated, mask);
}

/// An n x n matrix of ones on and above (`upper`) or below the diagonal, zeros elsewhere.
fn triangleMask(dtype: dtype_mod.DType, n: i32, upper: bool) errors.Error!*Array {
    const size: usize = @intCast(n);
    const values = memory.allocator.alloc(f64, size * size) catch
        return memory.outOfMemory(size * size * @sizeOf(f64));
    defer memory.allocator.free(values);
    for (0..size) |row| {
        for (0..size) |column| {
            const inside = if (upper) column >= row else column <= row;
            values[row * size + column] = if (inside) 1 else 0;
        }
    }
    const shape = try shape_mod.Shape.init(&.{ n, n });
    const wide = try Array.createFromBytes(.float64, shape, std.mem.sliceAsBytes(values));
    defer wide.release();
    return @import("astype.zig").create(wide, dtype);
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

test "inverse, cholesky and LUF of small matrices" {
    const a = try testArray(f64, .float64, &.{ 4, 2, 2, 10 }, &.{ 1, 2, 2 });
    defer a.release();
    const inverse = try createInverse(a, .{ .triangular = false, .upper = false });
    defer inverse.release();
    const factor = try createCholesky(a, .{ .upper = true });
    defer factor.release();
    const packed_lu = try createLuFactor(a);
    defer packed_lu.release();
    try graph.eval(&.{ inverse, factor, packed_lu });
    const want_inverse = [_]f64{ 10.0 / 36.0, -2.0 / 36.0, -2.0 / 36.0, 4.0 / 36.0 };
    for (want_inverse, inverse.dataPtr(f64)[0..4]) |w, got| {
        try std.testing.expectApproxEqAbs(w, got, 1e-15);
    }
    try std.testing.expectEqualSlices(f64, &.{ 2, 1, 0, 3 }, factor.dataPtr(f64)[0..4]);
    try std.testing.expectEqualSlices(i32, &.{ 1, 8 }, packed_lu.shape.slice());
    const want_lu = [_]f64{ 4, 2, 0.5, 9, 0, 1, 0, 1 };
    try std.testing.expectEqualSlices(f64, &want_lu, packed_lu.dataPtr(f64)[0..8]);
}

test "singular and indefinite matrices fail at evaluation with a message" {
    const a = try testArray(f32, .float32, &.{ 1, 2, 2, 4 }, &.{ 2, 2 });
    defer a.release();
    const inverse = try createInverse(a, .{ .triangular = false, .upper = false });
    defer inverse.release();
    try std.testing.expectError(error.InvalidArgument, graph.eval(&.{inverse}));
    try std.testing.expectEqualStrings("[linalg::inv] the matrix is singular: U[1,1] is zero " ++
        "after LU factorization (matrix 0 of the batch)", errors.message());
    const factor = try createCholesky(a, .{ .upper = false });
    defer factor.release();
    try std.testing.expectError(error.InvalidArgument, graph.eval(&.{factor}));
    const ints = try testArray(i32, .int32, &.{ 1, 2, 3, 4 }, &.{ 2, 2 });
    defer ints.release();
    try std.testing.expectError(error.DTypeMismatch, createLuFactor(ints));
}
