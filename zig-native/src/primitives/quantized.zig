//! quantize, dequantize, quantized_matmul: MLX's quantized weights (affine with 2, 3, 4, 5,
//! 6, 8 bits and group sizes 32, 64, 128; mxfp4), validated as MLX validates them. quantize has
//! three outputs in MLX; here each output (codes, scales, biases) is its own node recording the
//! same parameters, computed from the same weights (see backend/cpu/quantized.zig).

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const DType = dtype_mod.DType;
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const matmul = @import("matmul.zig");
const cpu = @import("../backend/cpu/quantized.zig");
const matvec = @import("../backend/cpu/quantized_matvec.zig");
const gemm = @import("../backend/cpu/gemm.zig");
const reduce = @import("reduce.zig");
const view = @import("view.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

pub const Format = cpu.Format;
pub const Mode = cpu.Mode;
pub const Part = cpu.Part;

pub const Params = struct {
    format: Format,
    /// quantized_matmul: the weights are [N, K] (x @ w.T), else [K, N].
    transpose: bool = true,
    /// quantize: which output this node is.
    part: Part = .codes,
};

fn checkFormat(op: []const u8, format: Format) errors.Error!void {
    if (format.isValid()) return;
    switch (format.mode) {
        .affine => {
            if (format.group_size != 32 and format.group_size != 64 and format.group_size != 128) {
                return errors.fail(error.InvalidArgument, "[{s}] The requested group size {d} is " ++
                    "not supported. The supported group sizes are 32, 64, and 128.", .{ op, format.group_size });
            }
            return errors.fail(error.InvalidArgument, "[{s}] The requested number of bits {d} is " ++
                "not supported. The supported bits are 2, 3, 4, 5, 6 and 8.", .{ op, format.bits });
        },
        .mxfp4 => return errors.fail(error.InvalidArgument, "[{s}] mxfp4 quantization requires " ++
            "group size 32 and 4 bits; got group size {d} and {d} bits", .{ op, format.group_size, format.bits }),
    }
}

fn lastDim(a: *const Array) i32 {
    return a.shape.dims[a.shape.ndim - 1];
}

fn withLastDim(shape: shape_mod.Shape, dim: i32) shape_mod.Shape {
    var out = shape;
    out.dims[out.ndim - 1] = dim;
    return out;
}

/// Records one output of `quantize(w)`.
pub fn createQuantize(w: *Array, format: Format, part: Part) errors.Error!*Array {
    try checkFormat("quantize", format);
    if (!w.dtype.isFloating()) {
        return errors.fail(error.DTypeMismatch, "[quantize] Only real floating types can be " ++
            "quantized but w has type {s}.", .{w.dtype.name()});
    }
    if (w.dtype == .float64) {
        return errors.fail(error.Unsupported, "[quantize] float64 weights have no CPU kernel; " ++
            "use float32, float16 or bfloat16", .{});
    }
    if (w.shape.ndim < 2) {
        return errors.fail(error.InvalidArgument, "[quantize] The matrix to be quantized must " ++
            "have at least 2 dimensions but it has only {d}.", .{w.shape.ndim});
    }
    const k = lastDim(w);
    if (@mod(k, @as(i32, @intCast(format.group_size))) != 0) {
        return errors.fail(error.ShapeMismatch, "[quantize] The last dimension of the matrix " ++
            "needs to be divisible by the quantization group size {d}. However the provided " ++
            "matrix has shape {f}", .{ format.group_size, w.shape });
    }
    if (format.mode == .mxfp4 and part == .biases) {
        return errors.fail(error.InvalidArgument, "[quantize] mxfp4 quantization has no biases", .{});
    }
    const groups = @divExact(k, @as(i32, @intCast(format.group_size)));
    const params: Params = .{ .format = format, .part = part };
    return switch (part) {
        .codes => Array.createLazy(.uint32, withLastDim(w.shape, @divExact(k * format.bits, 32)),
            .{ .quantize = params }, &.{w}),
        .scales, .biases => Array.createLazy(if (format.mode == .mxfp4) .uint8 else w.dtype,
            withLastDim(w.shape, groups), .{ .quantize = params }, &.{w}),
    };
}

/// The dtype affine scales and biases compute in (MLX: their promoted type).
fn paramDtype(op: []const u8, scales: *const Array, biases: ?*const Array, mode: Mode) errors.Error!DType {
    switch (mode) {
        .affine => {
            const b = biases orelse return errors.fail(error.InvalidArgument, "[{s}] Biases must be " ++
                "provided for affine quantization.", .{op});
            const dtype = dtype_mod.promote(scales.dtype, b.dtype);
            if (!dtype.isFloating() or dtype.isComplex()) {
                return errors.fail(error.DTypeMismatch, "[{s}] Only real floating types are " ++
                    "supported but scales.dtype() == {s} and biases.dtype() == {s}.", .{ op,
                    scales.dtype.name(), b.dtype.name() });
            }
            if (dtype == .float64) {
                return errors.fail(error.Unsupported, "[{s}] float64 scales have no CPU kernel", .{op});
            }
            return dtype;
        },
        .mxfp4 => {
            if (scales.dtype != .uint8) {
                return errors.fail(error.DTypeMismatch, "[{s}] Scale type must be uint8 but " ++
                    "received type {s}.", .{ op, scales.dtype.name() });
            }
            if (biases != null) {
                return errors.fail(error.InvalidArgument, "[{s}] Biases must be null for " ++
                    "quantization mode 'mxfp4'.", .{op});
            }
            return .uint8;
        },
    }
}

/// MLX's checks of a quantized matrix against its scales and biases.
fn checkQuantized(op: []const u8, w: *const Array, scales: *const Array, biases: ?*const Array,
    format: Format) errors.Error!void {
    if (w.dtype != .uint32) {
        return errors.fail(error.DTypeMismatch, "[{s}] The weight matrix should be uint32 but " ++
            "received {s}", .{ op, w.dtype.name() });
    }
    if (w.shape.ndim < 2) {
        return errors.fail(error.InvalidArgument, "[{s}] The quantized matrix must have at " ++
            "least 2 dimensions but it has only {d}.", .{ op, w.shape.ndim });
    }
    if (biases) |b| if (!b.shape.eql(scales.shape)) {
        return errors.fail(error.ShapeMismatch, "[{s}] Scales and biases should have the same " ++
            "shape. Received scales with shape {f} and biases with {f}", .{ op, scales.shape, b.shape });
    };
    const same_batch = scales.shape.ndim == w.shape.ndim and
        std.mem.eql(i32, w.shape.dims[0 .. w.shape.ndim - 1], scales.shape.dims[0 .. scales.shape.ndim - 1]);
    if (!same_batch) {
        return errors.fail(error.ShapeMismatch, "[{s}] Weight and scales should have the same " ++
            "batch shape. Received weight with shape {f}, scales with {f}.", .{ op, w.shape, scales.shape });
    }
    const expanded = @divTrunc(@as(i64, lastDim(w)) * 32, format.bits);
    if (expanded != @as(i64, lastDim(scales)) * format.group_size) {
        return errors.fail(error.ShapeMismatch, "[{s}] The shapes of the weight and scales are " ++
            "incompatible based on bits and group_size. w.shape() == {f} and scales.shape() == " ++
            "{f} with group_size={d} and bits={d}", .{ op, w.shape, scales.shape, format.group_size, format.bits });
    }
}

/// Records `dequantize(w, scales, biases)` in `dtype` (null: the scales' promoted type for
/// affine, bfloat16 for mxfp4, as MLX).
pub fn createDequantize(w: *Array, scales: *Array, biases: ?*Array, format: Format,
    dtype: ?DType) errors.Error!*Array {
    try checkFormat("dequantize", format);
    if (dtype) |d| if (!d.isFloating() or d.isComplex() or d == .float64) {
        return errors.fail(error.DTypeMismatch, "[dequantize] Only real floating types are " ++
            "supported but output dtype == {s}.", .{d.name()});
    };
    const param_dtype = try paramDtype("dequantize", scales, biases, format.mode);
    try checkQuantized("dequantize", w, scales, biases, format);
    const out_dtype = dtype orelse if (format.mode == .affine) param_dtype else DType.bfloat16;
    const out_shape = withLastDim(w.shape, lastDim(scales) * @as(i32, @intCast(format.group_size)));
    const params: Params = .{ .format = format };
    if (format.mode == .mxfp4) {
        return Array.createLazy(out_dtype, out_shape, .{ .dequantize = params }, &.{ w, scales });
    }
    const s = try astype.create(scales, param_dtype);
    defer s.release();
    const b = try astype.create(biases.?, param_dtype);
    defer b.release();
    // Computed in the scales' type; a different requested dtype is a cast of that.
    const value = try Array.createLazy(param_dtype, out_shape, .{ .dequantize = params }, &.{ w, s, b });
    defer value.release();
    return astype.create(value, out_dtype);
}

/// Records `quantized_matmul(x, w, scales, biases)`: x @ dequantize(w).T (transpose) or
/// x @ dequantize(w).
pub fn createMatmul(x: *Array, w: *Array, scales: *Array, biases: ?*Array, format: Format,
    transpose: bool) errors.Error!*Array {
    const op = "quantized_matmul";
    try checkFormat(op, format);
    const param_dtype = try paramDtype(op, scales, biases, format.mode);
    try checkQuantized(op, w, scales, biases, format);
    if (x.shape.ndim == 0) {
        return errors.fail(error.InvalidArgument, "[{s}] x must have at least one dimension", .{op});
    }
    const expanded: i32 = @intCast(@divTrunc(@as(i64, lastDim(w)) * 32, format.bits));
    const w_rows = w.shape.dims[w.shape.ndim - 2];
    const inner = if (transpose) expanded else w_rows;
    const outer = if (transpose) w_rows else expanded;
    if (lastDim(x) != inner) {
        return errors.fail(error.ShapeMismatch, "[{s}] Last dimension of first input with shape " ++
            "(..., {d}) does not match the expanded quantized matrix ({d}, {d}) computed from " ++
            "shape {f} with group_size={d}, bits={d} and transpose={}", .{ op, lastDim(x), inner,
            outer, w.shape, format.group_size, format.bits, transpose });
    }
    const dtype = if (format.mode == .affine) dtype_mod.promote(x.dtype, param_dtype) else x.dtype;
    if (!dtype.isFloating() or dtype.isComplex()) {
        return errors.fail(error.DTypeMismatch, "[{s}] Only real floating types are supported " ++
            "but x.dtype() == {s}.", .{ op, x.dtype.name() });
    }
    if (dtype == .float64) {
        return errors.fail(error.Unsupported, "[{s}] float64 has no CPU kernel; use float32, " ++
            "float16 or bfloat16", .{op});
    }
    const batch = try shape_mod.broadcast(op, matmul.batchShape(x.shape), matmul.batchShape(w.shape));
    var dims: [shape_mod.ndim_max]i32 = undefined;
    var ndim: usize = batch.ndim;
    @memcpy(dims[0..ndim], batch.slice());
    if (x.shape.ndim > 1) {
        dims[ndim] = x.shape.dims[x.shape.ndim - 2];
        ndim += 1;
    }
    dims[ndim] = outer;
    ndim += 1;
    const out_shape = try shape_mod.Shape.init(dims[0..ndim]);
    const params: Params = .{ .format = format, .transpose = transpose };
    const x_cast = try astype.create(x, dtype);
    defer x_cast.release();
    if (format.mode == .mxfp4) {
        return Array.createLazy(dtype, out_shape, .{ .quantized_matmul = params }, &.{ x_cast, w, scales });
    }
    const s = try astype.create(scales, dtype);
    defer s.release();
    const b = try astype.create(biases.?, dtype);
    defer b.release();
    return Array.createLazy(dtype, out_shape, .{ .quantized_matmul = params }, &.{ x_cast, w, s, b });
}

// ---------------------------------------------------------------------------------------------
// Evaluation

pub fn evalQuantize(params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    const w = try astype.rowMajor(out.inputs[0]);
    defer w.release();
    try out.allocateOutput();
    const groups: usize = @intCast(@divExact(w.shape.size(), params.format.group_size));
    const codes: [*]u8 = if (params.part == .codes) out.dataPtr(u8) else undefined;
    const values: [*]u8 = if (params.part == .codes) undefined else out.dataPtr(u8);
    switch (w.dtype) {
        inline .float32, .float16, .bfloat16 => |d| {
            const T = dtype_mod.Storage(d);
            const job: cpu.QuantizeJob(T) = .{ .w = w.dataPtr(T), .format = params.format,
                .part = params.part, .codes = codes, .params = values };
            job.run(groups);
        },
        else => unreachable,
    }
}

pub fn evalDequantize(params: Params, out: *Array) errors.Error!void {
    const w = try astype.rowMajor(out.inputs[0]);
    defer w.release();
    const scales = try astype.rowMajor(out.inputs[1]);
    defer scales.release();
    const biases: ?*Array = if (out.inputs.len > 2) try astype.rowMajor(out.inputs[2]) else null;
    defer if (biases) |b| b.release();
    try out.allocateOutput();
    const k: usize = @intCast(lastDim(out));
    if (k == 0 or out.shape.size() == 0) return;
    const rows: usize = @intCast(@divExact(out.shape.size(), @as(i64, @intCast(k))));
    switch (out.dtype) {
        inline .float32, .float16, .bfloat16 => |od| {
            const T = dtype_mod.Storage(od);
            switch (scales.dtype) {
                inline .float32, .float16, .bfloat16, .uint8 => |sd| {
                    const S = dtype_mod.Storage(sd);
                    const job: cpu.DequantizeJob(S, T) = .{
                        .matrix = .{ .codes = w.dataPtr(u8), .scales = scales.dataPtr(S),
                            .biases = if (biases) |b| b.dataPtr(S) else null,
                            .format = params.format, .k = k },
                        .out = out.dataPtr(T),
                    };
                    job.run(rows);
                },
                else => unreachable,
            }
        },
        else => unreachable,
    }
}

pub fn evalMatmul(params: Params, out: *Array) errors.Error!void {
    try out.allocateOutput();
    errdefer out.discardOutput();
    switch (out.dtype) {
        inline .float32, .float16, .bfloat16 => |d| {
            const T = dtype_mod.Storage(d);
            switch (params.format.mode) {
                .affine => try matmulTyped(T, T, params, out),
                .mxfp4 => try matmulTyped(u8, T, params, out),
            }
        },
        else => unreachable,
    }
}

fn matmulTyped(comptime S: type, comptime T: type, params: Params, out: *Array) errors.Error!void {
    const x = try astype.rowMajor(out.inputs[0]);
    defer x.release();
    const w = try astype.rowMajor(out.inputs[1]);
    defer w.release();
    const scales = try astype.rowMajor(out.inputs[2]);
    defer scales.release();
    const biases: ?*Array = if (out.inputs.len > 3) try astype.rowMajor(out.inputs[3]) else null;
    defer if (biases) |b| b.release();

    const format = params.format;
    const k: usize = @intCast(lastDim(x));
    const n: usize = @intCast(lastDim(out));
    const m: usize = if (x.shape.ndim > 1) @intCast(x.shape.dims[x.shape.ndim - 2]) else 1;
    const matrix_dims: usize = if (x.shape.ndim > 1) 2 else 1;
    var batch: shape_mod.Shape = .{ .ndim = @intCast(out.shape.ndim - matrix_dims) };
    @memcpy(batch.dims[0..batch.ndim], out.shape.dims[0..batch.ndim]);
    const batch_count: usize = @intCast(batch.size());
    if (batch_count == 0 or m == 0 or n == 0) return;
    if (k == 0) {
        @memset(out.dataPtr(T)[0..@intCast(out.shape.size())], gemm.fromF32(T, 0));
        return;
    }

    const offsets = memory.allocator.alloc(i64, 3 * batch_count) catch
        return memory.outOfMemory(3 * batch_count * @sizeOf(i64));
    defer memory.allocator.free(offsets);
    const x_offsets = offsets[0..batch_count];
    matmul.batchOffsets(x, batch, x_offsets);
    matmul.batchOffsets(w, batch, offsets[batch_count .. 2 * batch_count]);
    matmul.batchOffsets(scales, batch, offsets[2 * batch_count ..]);
    const unsigned = memory.allocator.alloc(usize, 2 * batch_count) catch
        return memory.outOfMemory(2 * batch_count * @sizeOf(usize));
    defer memory.allocator.free(unsigned);
    const w_offsets = unsigned[0..batch_count];
    const p_offsets = unsigned[batch_count..];
    for (0..batch_count) |b| {
        w_offsets[b] = @as(usize, @intCast(offsets[batch_count + b])) * 4;
        p_offsets[b] = @intCast(offsets[2 * batch_count + b]);
    }
    // The quantized axis: K for transposed weights [N, K], N for [K, N].
    const matrix: cpu.Matrix(S) = .{ .codes = w.basePtr(u8), .scales = scales.basePtr(S),
        .biases = if (biases) |b| b.basePtr(S) else null, .format = format,
        .k = if (params.transpose) k else n };

    if (params.transpose and m <= matvec.rows_max) {
        // Decoding: x rows converted to f32 once (permuted for the register unpacking).
        const rows = batch_count * m;
        const groups = k / format.group_size;
        const scratch_len = rows * (k + groups) + k;
        const scratch = memory.allocator.alloc(f32, scratch_len) catch
            return memory.outOfMemory(scratch_len * @sizeOf(f32));
        defer memory.allocator.free(scratch);
        const xp = scratch[0 .. rows * k];
        const xsum = scratch[rows * k ..][0 .. rows * groups];
        const line = scratch[rows * (k + groups) ..][0..k];
        const x_base = x.basePtr(T);
        for (0..batch_count) |b| for (0..m) |r| {
            const src = x_base + @as(usize, @intCast(x_offsets[b])) + r * k;
            const row = b * m + r;
            matvec.prepareRow(T, format, src[0..k], line, xsum[row * groups ..][0..groups],
                xp[row * k ..][0..k]);
        };
        const job: matvec.MatVec(S, T) = .{ .matrix = matrix, .n = n, .m = m, .xp = xp.ptr,
            .xsum = xsum.ptr, .out = out.dataPtr(T), .w_offsets = w_offsets, .p_offsets = p_offsets };
        job.run();
        return;
    }

    const x_operand: gemm.Operand(T) = .{
        .base = x.basePtr(T),
        .offsets = x_offsets,
        .row_stride = @intCast(k),
        .column_stride = 1,
    };
    const source: cpu.GemmSource(S, T) = .{
        .x = .{ .a = x_operand, .b = x_operand, .out = out.dataPtr(T), .batch = batch_count,
            .m = m, .n = n, .k = k },
        .matrix = matrix,
        .transpose = params.transpose,
        .w_offsets = w_offsets,
        .p_offsets = p_offsets,
        .out = out.dataPtr(T),
        .batch = batch_count,
        .m = m,
        .n = n,
        .k = k,
    };
    try gemm.Blocked(T, cpu.GemmSource(S, T)).run(&source);
}

// ---------------------------------------------------------------------------------------------
// Derivatives

/// vjp of quantized_matmul: for x, the product with the other orientation of the same weights;
/// for affine scales and biases, the dequantized weights' cotangent summed over each group
/// (times the codes for the scales); the quantized weights have none (MLX's rules).
pub fn vjpMatmul(params: Params, node: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    switch (argnum) {
        0 => {
            const biases: ?*Array = if (node.inputs.len > 3) node.inputs[3] else null;
            return try createMatmul(cotangent, node.inputs[1], node.inputs[2], biases, params.format,
                !params.transpose);
        },
        1 => return errors.fail(error.InvalidArgument, "[quantized_matmul] no gradient with " ++
            "respect to the quantized weights", .{}),
        else => {
            if (params.format.mode != .affine) {
                return errors.fail(error.InvalidArgument, "[quantized_matmul] no gradient with " ++
                    "respect to the scales of mode {s}", .{@tagName(params.format.mode)});
            }
            assert(node.inputs.len == 4);
            return try vjpScalesBiases(params, node, cotangent, argnum == 2);
        },
    }
}

fn vjpScalesBiases(params: Params, node: *Array, cotangent: *Array, of_scales: bool) errors.Error!*Array {
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    const w = node.inputs[1];
    const scales = node.inputs[2];
    const dw = try temps.keep(weightCotangent(node.inputs[0], w, cotangent, params.transpose));
    // [..., rows, cols] -> [..., rows, groups, group_size]: the scales' shape plus the group.
    var dims: [shape_mod.ndim_max]i32 = undefined;
    const ndim = scales.shape.ndim;
    @memcpy(dims[0..ndim], scales.shape.slice());
    dims[ndim] = @intCast(params.format.group_size);
    const grouped_shape = try shape_mod.Shape.init(dims[0 .. ndim + 1]);
    assert(grouped_shape.size() == dw.shape.size());
    const grouped = try temps.keep(view.createReshape(dw, grouped_shape));
    const summand = if (of_scales) blk: {
        // The codes as floats: dequantized with unit scales and zero biases.
        const one = try temps.keep(grad_ops.scalar(1, scales.dtype));
        const unit = try temps.keep(view.createBroadcastTo(one, scales.shape));
        const zero = try temps.keep(grad_ops.zerosLike(scales));
        const codes = try temps.keep(createDequantize(w, unit, zero, params.format, dw.dtype));
        const codes_grouped = try temps.keep(view.createReshape(codes, grouped_shape));
        break :blk try temps.keep(grad_ops.mul(grouped, codes_grouped));
    } else grouped;
    const axis = [_]i32{@intCast(ndim)};
    const summed = try temps.keep(reduce.create(.sum, summand, &axis, false));
    return astype.create(summed, scales.dtype);
}

/// The cotangent of the dequantized weights, in their orientation ([..., N, K] transposed,
/// else [..., K, N]), summed over the batch axes the weights were broadcast along.
fn weightCotangent(x: *Array, w: *Array, cotangent: *Array, transpose: bool) errors.Error!*Array {
    var temps: grad_ops.Temps = .{};
    defer temps.release();
    const k = lastDim(x);
    const n = lastDim(cotangent);
    assert(k > 0);
    // A 1-D x is one row; with 2-D weights every leading axis of x is a row of one GEMM.
    var xs = x;
    var cs = cotangent;
    if (x.shape.ndim == 1) {
        xs = try temps.keep(view.createReshape(x, try shape_mod.Shape.init(&.{ 1, k })));
        var dims: [shape_mod.ndim_max]i32 = undefined;
        const c_ndim = cotangent.shape.ndim;
        assert(c_ndim + 1 <= shape_mod.ndim_max);
        @memcpy(dims[0..c_ndim], cotangent.shape.slice());
        dims[c_ndim - 1] = 1;
        dims[c_ndim] = n;
        cs = try temps.keep(view.createReshape(cotangent, try shape_mod.Shape.init(dims[0 .. c_ndim + 1])));
    }
    if (w.shape.ndim == 2) {
        const rows: i32 = @intCast(@divExact(xs.shape.size(), @as(i64, k)));
        xs = try temps.keep(view.createReshape(xs, try shape_mod.Shape.init(&.{ rows, k })));
        cs = try temps.keep(view.createReshape(cs, try shape_mod.Shape.init(&.{ rows, n })));
    }
    const full = if (transpose)
        try temps.keep(matmul.create(try temps.keep(grad_ops.swapLastTwo(cs)), xs))
    else
        try temps.keep(matmul.create(try temps.keep(grad_ops.swapLastTwo(xs)), cs));
    var dims: [shape_mod.ndim_max]i32 = undefined;
    const ndim = w.shape.ndim;
    @memcpy(dims[0..ndim], w.shape.slice());
    dims[ndim - 2] = if (transpose) n else k;
    dims[ndim - 1] = if (transpose) k else n;
    return grad_ops.unbroadcast(full, try shape_mod.Shape.init(dims[0..ndim]));
}
