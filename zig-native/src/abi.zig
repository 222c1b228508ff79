//! The C ABI: the only file with exported symbols. Every export is listed once in `exports`
//! (name, function), gets the `mlxts_` prefix, and contributes to the signature string that
//! `mlxts_abi_signatures` returns, which the TypeScript tests compare with `ffi/symbols.ts`.
//!
//! Conventions:
//! - Arrays cross as 32-bit handles (see handles.zig). A function that makes an array returns
//!   its handle, or 0 on failure. A function that makes nothing returns a `Status`.
//! - After a failure, `mlxts_last_status` and `mlxts_last_error_*` describe it, on the calling
//!   thread. Every export clears them on entry.
//! - No input can make the library panic: every argument is validated here or below.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("errors.zig");
const memory = @import("memory.zig");
const handles = @import("handles.zig");
const shape_mod = @import("shape.zig");
const graph = @import("graph.zig");
const async_eval = @import("async_eval.zig");
const DType = @import("dtype.zig").DType;
const Array = @import("array.zig").Array;
const unary = @import("primitives/unary.zig");
const binary = @import("primitives/binary.zig");
const ternary = @import("primitives/ternary.zig");
const reduce = @import("primitives/reduce.zig");
const astype = @import("primitives/astype.zig");
const view = @import("primitives/view.zig");
const creation = @import("primitives/creation.zig");
const indexing = @import("primitives/indexing.zig");
const join = @import("primitives/join.zig");
const as_strided = @import("primitives/as_strided.zig");
const sort = @import("primitives/sort.zig");
const matmul_mod = @import("primitives/matmul.zig");
const random = @import("primitives/random.zig");
const linalg = @import("primitives/linalg.zig");
const conv_mod = @import("primitives/conv.zig");
const fft_mod = @import("primitives/fft.zig");
const decompositions = @import("primitives/decompositions.zig");
const vjp_mod = @import("transforms/vjp.zig");
const compile_mod = @import("transforms/compile.zig");
const custom_mod = @import("primitives/custom.zig");
const gguf_quants = @import("io/gguf_quants.zig");
const quantized = @import("primitives/quantized.zig");
const fast = @import("primitives/fast.zig");
const cpu_level = @import("cpu_level.zig");

const Handle = handles.Handle;

pub const version_major = 0;
pub const version_minor = 1;
pub const version_patch = 0;

/// Result of a call. The values cross the ABI and match `ffi/status.ts`.
pub const Status = enum(i32) {
    ok = 0,
    invalid_handle = 1,
    invalid_argument = 2,
    shape_mismatch = 3,
    dtype_mismatch = 4,
    out_of_memory = 5,
    limit_exceeded = 6,
    unsupported = 7,
};

fn statusOf(err: errors.Error) Status {
    // Exhaustive: a new error breaks the build until it is mapped here.
    return switch (err) {
        error.InvalidHandle => .invalid_handle,
        error.InvalidArgument => .invalid_argument,
        error.ShapeMismatch => .shape_mismatch,
        error.DTypeMismatch => .dtype_mismatch,
        error.OutOfMemory => .out_of_memory,
        error.LimitExceeded => .limit_exceeded,
        error.Unsupported => .unsupported,
    };
}

threadlocal var last_status: Status = .ok;

fn begin() void {
    last_status = .ok;
    errors.clear();
}

fn statusResult(result: errors.Error!void) Status {
    result catch |err| {
        last_status = statusOf(err);
        return last_status;
    };
    return .ok;
}

fn handleResult(result: errors.Error!*Array) Handle {
    const array = result catch |err| {
        last_status = statusOf(err);
        return 0;
    };
    return handles.insert(array) catch |err| {
        last_status = statusOf(err);
        return 0;
    };
}

// ---------------------------------------------------------------------------------------------
// Library and errors

fn version() callconv(.c) u32 {
    return (version_major << 16) | (version_minor << 8) | version_patch;
}

/// The x86-64 level (1-4) this CPU and OS support; 0 when not x86-64 (cpu_level.zig).
/// The loader asks the baseline library, then opens the best level's file.
fn cpuLevel() callconv(.c) u32 {
    return cpu_level.supported();
}

/// The x86-64 level this library was compiled for; 0 when not x86-64.
fn cpuLevelBuilt() callconv(.c) u32 {
    return cpu_level.built;
}

fn lastStatus() callconv(.c) i32 {
    return @intFromEnum(last_status);
}

fn lastErrorLength() callconv(.c) u32 {
    return @intCast(errors.message().len);
}

/// Copies up to `capacity_bytes` of the last error message; returns the bytes copied.
fn lastErrorCopy(out: ?[*]u8, capacity_bytes: u32) callconv(.c) u32 {
    const message = errors.message();
    const count = @min(message.len, capacity_bytes);
    if (count > 0) @memcpy(out.?[0..count], message[0..count]);
    return @intCast(count);
}

/// Copies the export signature string (see the file comment); returns its full length.
fn abiSignatures(out: ?[*]u8, capacity_bytes: u32) callconv(.c) u32 {
    const count = @min(signatures.len, capacity_bytes);
    if (count > 0) @memcpy(out.?[0..count], signatures[0..count]);
    return signatures.len;
}

// ---------------------------------------------------------------------------------------------
// Arrays

/// A new evaluated array holding a copy of `size_bytes` bytes (row-major) at `data`.
fn arrayFromBytes(
    data: ?[*]const u8,
    size_bytes: u64,
    dtype_code: u32,
    dims: ?[*]const i32,
    ndim: u32,
) callconv(.c) Handle {
    begin();
    return handleResult(arrayFromBytesChecked(data, size_bytes, dtype_code, dims, ndim));
}

fn arrayFromBytesChecked(
    data: ?[*]const u8,
    size_bytes: u64,
    dtype_code: u32,
    dims: ?[*]const i32,
    ndim: u32,
) errors.Error!*Array {
    const dtype = try dtypeFromCode("array", dtype_code);
    const shape = try shapeFromAbi("array", dims, ndim);
    const expected_bytes = @as(u64, @intCast(shape.size())) * dtype.sizeBytes();
    if (size_bytes != expected_bytes) {
        return errors.fail(error.ShapeMismatch, "[array] {d} bytes given for shape {f} of " ++
            "{s}, which needs {d} bytes", .{ size_bytes, shape, dtype.name(), expected_bytes });
    }
    if (size_bytes > 0 and data == null) {
        return errors.fail(error.InvalidArgument, "[array] no data pointer for {d} bytes", .{
            size_bytes,
        });
    }
    const bytes: []const u8 = if (size_bytes == 0) &.{} else data.?[0..@intCast(size_bytes)];
    return Array.createFromBytes(dtype, shape, bytes);
}

/// One array made from a GGUF tensor's raw bytes (`size_bytes` at `data`) of GGML type
/// `ggml_type` and MLX shape `dims`: `part` 0/1/2 = weight/scales/biases of Q4_0, Q4_1, Q8_0
/// in MLX's affine layout, 3 = the float16 dequantization of the other types (io/gguf_quants).
fn ggufUnpack(
    data: ?[*]const u8,
    size_bytes: u64,
    ggml_type: u32,
    dims: ?[*]const i32,
    ndim: u32,
    part: u32,
) callconv(.c) Handle {
    begin();
    return handleResult(ggufUnpackChecked(data, size_bytes, ggml_type, dims, ndim, part));
}

fn ggufUnpackChecked(
    data: ?[*]const u8,
    size_bytes: u64,
    ggml_type: u32,
    dims: ?[*]const i32,
    ndim: u32,
    part: u32,
) errors.Error!*Array {
    const shape = try shapeFromAbi("load_gguf", dims, ndim);
    if (size_bytes > 0 and data == null) {
        return errors.fail(error.InvalidArgument, "[load_gguf] no data pointer for {d} bytes", .{
            size_bytes,
        });
    }
    const bytes: []const u8 = if (size_bytes == 0) &.{} else data.?[0..@intCast(size_bytes)];
    return gguf_quants.unpack(bytes, ggml_type, shape, part);
}

fn arrayFree(handle: Handle) callconv(.c) Status {
    begin();
    return statusResult(handles.remove(handle));
}

/// Number of dimensions, or -1 on failure.
fn arrayNdim(handle: Handle) callconv(.c) i32 {
    begin();
    const array = handles.acquire(handle) catch |err| return failInt(err);
    defer array.release();
    return array.shape.ndim;
}

/// Dtype code, or -1 on failure.
fn arrayDtype(handle: Handle) callconv(.c) i32 {
    begin();
    const array = handles.acquire(handle) catch |err| return failInt(err);
    defer array.release();
    return @intFromEnum(array.dtype);
}

fn failInt(err: errors.Error) i32 {
    last_status = statusOf(err);
    return -1;
}

/// Writes the dimensions into `out` (room for `capacity` of them).
fn arrayShape(handle: Handle, out: ?[*]i32, capacity: u32) callconv(.c) Status {
    begin();
    return statusResult(arrayShapeChecked(handle, out, capacity));
}

fn arrayShapeChecked(handle: Handle, out: ?[*]i32, capacity: u32) errors.Error!void {
    const array = try handles.acquire(handle);
    defer array.release();
    const ndim = array.shape.ndim;
    if (capacity < ndim or (ndim > 0 and out == null)) {
        return errors.fail(error.InvalidArgument, "[shape] room for {d} dimensions, need {d}", .{
            capacity, ndim,
        });
    }
    if (ndim > 0) @memcpy(out.?[0..ndim], array.shape.slice());
}

/// 1 if evaluated, 0 if lazy, -1 on failure.
fn arrayIsEvaluated(handle: Handle) callconv(.c) i32 {
    begin();
    const array = handles.acquire(handle) catch |err| return failInt(err);
    defer array.release();
    return @intFromBool(array.isEvaluated());
}

/// Evaluates the `count` arrays whose handles are at `handle_list`.
fn eval(handle_list: ?[*]const u32, count: u32) callconv(.c) Status {
    begin();
    return statusResult(evalChecked(handle_list, count));
}

/// Most arrays one eval call takes.
const eval_arrays_max = 4096;

fn evalChecked(handle_list: ?[*]const u32, count: u32) errors.Error!void {
    if (count == 0) return;
    if (count > eval_arrays_max or handle_list == null) {
        return errors.fail(error.InvalidArgument, "[eval] {d} arrays given; the limit is {d}", .{
            count, eval_arrays_max,
        });
    }
    var arrays: [eval_arrays_max]*Array = undefined;
    var acquired: usize = 0;
    defer for (arrays[0..acquired]) |array| array.release();
    for (handle_list.?[0..count]) |handle| {
        arrays[acquired] = try handles.acquire(handle);
        acquired += 1;
    }
    try graph.eval(arrays[0..acquired]);
}

/// Starts evaluating the arrays on a background thread; returns a job id (0 on failure).
fn evalAsync(handle_list: ?[*]const u32, count: u32) callconv(.c) u32 {
    begin();
    return evalAsyncChecked(handle_list, count) catch |err| {
        last_status = statusOf(err);
        return 0;
    };
}

fn evalAsyncChecked(handle_list: ?[*]const u32, count: u32) errors.Error!u32 {
    if (count > async_eval.arrays_max or (count > 0 and handle_list == null)) {
        return errors.fail(error.InvalidArgument, "[asyncEval] {d} arrays given; the limit is {d}", .{
            count, async_eval.arrays_max,
        });
    }
    var arrays: [async_eval.arrays_max]*Array = undefined;
    var acquired: usize = 0;
    errdefer for (arrays[0..acquired]) |array| array.release();
    for (0..count) |i| {
        arrays[acquired] = try handles.acquire(handle_list.?[i]);
        acquired += 1;
    }
    // The job owns the references from here on, also when it fails to start.
    const job_arrays = arrays[0..acquired];
    acquired = 0;
    return async_eval.start(job_arrays);
}

/// -1 while the job runs; its status once done (the message via last_error_*).
fn evalPoll(job: u32) callconv(.c) i32 {
    begin();
    const done = async_eval.poll(job) catch |err| {
        last_status = statusOf(err);
        return @intFromEnum(last_status);
    };
    return if (done) 0 else -1;
}

fn evalRelease(job: u32) callconv(.c) Status {
    begin();
    return statusResult(async_eval.release(job));
}

/// Evaluates the array and copies its elements, row-major, into `out`, which must hold
/// exactly its size in bytes.
fn arrayRead(handle: Handle, out: ?[*]u8, size_bytes: u64) callconv(.c) Status {
    begin();
    return statusResult(arrayReadChecked(handle, out, size_bytes));
}

fn arrayReadChecked(handle: Handle, out: ?[*]u8, size_bytes: u64) errors.Error!void {
    const array = try evaluated(handle);
    defer array.release();
    if (size_bytes != array.sizeBytes() or (size_bytes > 0 and out == null)) {
        return errors.fail(error.InvalidArgument, "[read] the destination holds {d} bytes; " ++
            "the array of shape {f} and dtype {s} has {d}", .{
            size_bytes, array.shape, array.dtype.name(), array.sizeBytes(),
        });
    }
    if (size_bytes == 0) return;
    if (array.isRowContiguous()) {
        @memcpy(out.?[0..@intCast(size_bytes)], array.contiguousBytes());
        return;
    }
    const row_major = try astype.createCopy(array);
    defer row_major.release();
    try graph.eval(&.{row_major});
    @memcpy(out.?[0..@intCast(size_bytes)], row_major.contiguousBytes());
}

/// A pointer to the elements of the evaluated, row-contiguous array: valid, and unchanged,
/// until the handle is freed (the handle's reference keeps the buffer alive, and a buffer
/// with outside references is never reused). Null on failure or for an empty array.
fn arrayData(handle: Handle) callconv(.c) ?[*]u8 {
    begin();
    const array = evaluated(handle) catch |err| {
        last_status = statusOf(err);
        return null;
    };
    defer array.release();
    if (!array.isRowContiguous()) {
        const err = errors.fail(error.Unsupported, "[dataView] the array is a strided view " ++
            "(shape {f}); copy it with toTypedArray() instead", .{array.shape});
        last_status = statusOf(err);
        return null;
    }
    return array.contiguousBytes().ptr;
}

fn evaluated(handle: Handle) errors.Error!*Array {
    const array = try handles.acquire(handle);
    errdefer array.release();
    try graph.eval(&.{array});
    return array;
}

// ---------------------------------------------------------------------------------------------
// Ops

/// `op(input)` for the unary op with code `op_code` (see `op_names`).
fn unaryOp(op_code: u32, input: Handle) callconv(.c) Handle {
    begin();
    return handleResult(unaryChecked(op_code, input));
}

fn unaryChecked(op_code: u32, input_handle: Handle) errors.Error!*Array {
    const op = try opFromCode(unary.Op, "unary", op_code);
    const input = try handles.acquire(input_handle);
    defer input.release();
    return unary.create(op, input);
}

/// `a op b` for the binary op with code `op_code` (see `op_names`).
fn binaryOp(op_code: u32, a_handle: Handle, b_handle: Handle) callconv(.c) Handle {
    begin();
    return handleResult(binaryChecked(op_code, a_handle, b_handle));
}

fn binaryChecked(op_code: u32, a_handle: Handle, b_handle: Handle) errors.Error!*Array {
    const op = try opFromCode(binary.Op, "binary", op_code);
    const a = try handles.acquire(a_handle);
    defer a.release();
    const b = try handles.acquire(b_handle);
    defer b.release();
    return binary.create(op, a, b);
}

fn where(condition: Handle, x: Handle, y: Handle) callconv(.c) Handle {
    begin();
    return handleResult(whereChecked(condition, x, y));
}

fn whereChecked(condition_handle: Handle, x_handle: Handle, y_handle: Handle) errors.Error!*Array {
    const condition = try handles.acquire(condition_handle);
    defer condition.release();
    const x = try handles.acquire(x_handle);
    defer x.release();
    const y = try handles.acquire(y_handle);
    defer y.release();
    return ternary.createWhere(condition, x, y);
}

/// `a @ b` (MLX's matmul: batched, vectors, promoted dtypes).
fn matmul(a: Handle, b: Handle) callconv(.c) Handle {
    begin();
    return handleResult(matmulChecked(a, b));
}

fn matmulChecked(a_handle: Handle, b_handle: Handle) errors.Error!*Array {
    const a = try handles.acquire(a_handle);
    defer a.release();
    const b = try handles.acquire(b_handle);
    defer b.release();
    return matmul_mod.create(a, b);
}

/// Random bits of shape `dims` (`ndim` of them), `width_bytes` (1, 2, 4) each, under `key`
/// (uint32, shape (..., 2); leading key dimensions prefix the result's shape).
fn randomBits(key: Handle, dims: ?[*]const i32, ndim: u32, width_bytes: u32) callconv(.c) Handle {
    begin();
    return handleResult(randomBitsChecked(key, dims, ndim, width_bytes));
}

fn randomBitsChecked(key_handle: Handle, dims: ?[*]const i32, ndim: u32, width_bytes: u32) errors.Error!*Array {
    const shape = try shapeFromAbi("bits", dims, ndim);
    const key = try handles.acquire(key_handle);
    defer key.release();
    return random.create(key, shape, width_bytes);
}

/// The inverse of each matrix of `a`; `triangular` != 0 inverts only the triangle named by
/// `upper` (MLX's Inverse primitive: inv and tri_inv).
fn linalgInverse(a: Handle, triangular: u32, upper: u32) callconv(.c) Handle {
    begin();
    return handleResult(linalgInverseChecked(a, triangular != 0, upper != 0));
}

fn linalgInverseChecked(a_handle: Handle, triangular: bool, upper: bool) errors.Error!*Array {
    const a = try handles.acquire(a_handle);
    defer a.release();
    return linalg.createInverse(a, .{ .triangular = triangular, .upper = upper });
}

/// The Cholesky factor of each matrix of `a` (upper != 0: U with A = U^T U).
fn linalgCholesky(a: Handle, upper: u32) callconv(.c) Handle {
    begin();
    return handleResult(linalgCholeskyChecked(a, upper != 0));
}

fn linalgCholeskyChecked(a_handle: Handle, upper: bool) errors.Error!*Array {
    const a = try handles.acquire(a_handle);
    defer a.release();
    return linalg.createCholesky(a, .{ .upper = upper });
}

/// MLX's LUF of each matrix of `a`, packed (see primitives/linalg.zig createLuFactor).
fn linalgLuFactor(a: Handle) callconv(.c) Handle {
    begin();
    return handleResult(linalgLuFactorChecked(a));
}

fn linalgLuFactorChecked(a_handle: Handle) errors.Error!*Array {
    const a = try handles.acquire(a_handle);
    defer a.release();
    return linalg.createLuFactor(a);
}

/// MLX's conv_general: `params` holds `spatial` strides, then as many low paddings, high
/// paddings, kernel dilations and input dilations; `flip` is 0 or 1.
fn convolution(
    input: Handle,
    weight: Handle,
    params: ?[*]const i32,
    spatial: u32,
    groups: i32,
    flip: u32,
) callconv(.c) Handle {
    begin();
    return handleResult(convolutionChecked(input, weight, params, spatial, groups, flip));
}

fn convolutionChecked(
    input_handle: Handle,
    weight_handle: Handle,
    params: ?[*]const i32,
    spatial: u32,
    groups: i32,
    flip: u32,
) errors.Error!*Array {
    if (spatial == 0 or spatial > 3 or params == null) {
        return errors.fail(error.InvalidArgument, "[conv] {d} spatial dimensions given; " ++
            "convolutions have 1 to 3", .{spatial});
    }
    const values = params.?[0 .. 5 * spatial];
    const input = try handles.acquire(input_handle);
    defer input.release();
    const weight = try handles.acquire(weight_handle);
    defer weight.release();
    return conv_mod.create(input, weight, .{
        .stride = values[0..spatial],
        .padding_lo = values[spatial .. 2 * spatial],
        .padding_hi = values[2 * spatial .. 3 * spatial],
        .kernel_dilation = values[3 * spatial .. 4 * spatial],
        .input_dilation = values[4 * spatial .. 5 * spatial],
        .groups = groups,
        .flip = flip != 0,
    });
}

/// The FFT of `input` along `axis_count` axes. `params` holds the axes, then (when
/// `size_count` >= 0) `size_count` transform lengths; -1 takes them from the input. `flags`:
/// bit 0 inverse, bit 1 real (rfftn / irfftn).
fn fft(
    input: Handle,
    params: ?[*]const i32,
    axis_count: u32,
    size_count: i32,
    flags: u32,
) callconv(.c) Handle {
    begin();
    return handleResult(fftChecked(input, params, axis_count, size_count, flags));
}

fn fftChecked(
    input: Handle,
    params: ?[*]const i32,
    axis_count: u32,
    size_count: i32,
    flags: u32,
) errors.Error!*Array {
    if (flags > 3 or size_count < -1 or size_count > shape_mod.ndim_max) {
        return errors.fail(error.InvalidArgument, "[fftn] invalid flags {d} or size count {d}", .{
            flags, size_count,
        });
    }
    const axes = try axesFromAbi("fftn", params, axis_count);
    const sizes: ?[]const i32 = if (size_count < 0) null else if (size_count == 0) &.{} else blk: {
        const count: usize = @intCast(size_count);
        if (params == null) return errors.fail(error.InvalidArgument, "[fftn] no sizes given", .{});
        break :blk params.?[axis_count..][0..count];
    };
    const array = try handles.acquire(input);
    defer array.release();
    return fft_mod.create(array, axes, sizes, flags & 2 != 0, flags & 1 != 0);
}

/// A matrix decomposition (`kind`: decompositions.Kind's code) of `a`; `upper` selects the
/// upper triangle for eigh. Writes the output handles (up to 3) into `out` and returns the
/// status; `out_capacity` is the room in `out`.
fn linalgDecompose(
    kind_code: u32,
    a_handle: Handle,
    upper: u32,
    out: ?[*]Handle,
    out_capacity: u32,
) callconv(.c) Status {
    begin();
    return statusResult(linalgDecomposeChecked(kind_code, a_handle, upper != 0, out, out_capacity));
}

fn linalgDecomposeChecked(
    kind_code: u32,
    a_handle: Handle,
    upper: bool,
    out: ?[*]Handle,
    out_capacity: u32,
) errors.Error!void {
    const kind = try opFromCode(decompositions.Kind, "decomposition", kind_code);
    if (out == null or out_capacity < decompositions.outputs_max) {
        return errors.fail(error.InvalidArgument, "[linalg] the output buffer holds {d} " ++
            "handles; {d} are needed", .{ out_capacity, decompositions.outputs_max });
    }
    const a = try handles.acquire(a_handle);
    defer a.release();
    var outputs: [decompositions.outputs_max]*Array = undefined;
    const count = try decompositions.create(kind, a, upper, &outputs);
    defer for (outputs[0..count]) |output| output.release();
    try insertHandles(outputs[0..count], out.?);
    for (count..decompositions.outputs_max) |index| out.?[index] = 0;
}

fn opFromCode(comptime Op: type, kind: []const u8, code: u32) errors.Error!Op {
    if (code >= @typeInfo(Op).@"enum".fields.len) {
        return errors.fail(error.InvalidArgument, "unknown {s} op code {d}", .{ kind, code });
    }
    return @enumFromInt(code);
}

/// The op names of a kind (0 unary, 1 binary, 2 reduce, 3 arg_reduce, 4 scan, 5 sort) in code
/// order, comma-separated: copies up to
/// `capacity_bytes` and returns the full length, so the TS side can check its code lists.
fn opNames(kind: u32, out: ?[*]u8, capacity_bytes: u32) callconv(.c) u32 {
    const text: []const u8 = switch (kind) {
        0 => comptime enumNames(unary.Op),
        1 => comptime enumNames(binary.Op),
        2 => comptime enumNames(reduce.Op),
        3 => comptime enumNames(reduce.ArgOp),
        4 => comptime enumNames(reduce.ScanOp),
        5 => comptime enumNames(sort.Op),
        else => "",
    };
    const count = @min(text.len, capacity_bytes);
    if (count > 0) @memcpy(out.?[0..count], text[0..count]);
    return @intCast(text.len);
}

fn enumNames(comptime E: type) []const u8 {
    var text: []const u8 = "";
    for (@typeInfo(E).@"enum".fields, 0..) |field, index| {
        text = text ++ (if (index > 0) "," else "") ++ field.name;
    }
    return text;
}

/// Reduces (op code: sum, prod, min, max, all, any) over `axis_count` axes at `axes` (none:
/// all axes); keepdims is 0 or 1.
fn reduceOp(op_code: u32, input: Handle, axes: ?[*]const i32, axis_count: u32, keepdims: u32) callconv(.c) Handle {
    begin();
    return handleResult(reduceChecked(op_code, input, axes, axis_count, keepdims));
}

fn reduceChecked(op_code: u32, input: Handle, axes: ?[*]const i32, axis_count: u32, keepdims: u32) errors.Error!*Array {
    const op = try opFromCode(reduce.Op, "reduce", op_code);
    const keep = try flagFromAbi(@tagName(op), "keepdims", keepdims);
    const axis_list = try axesFromAbi(@tagName(op), axes, axis_count);
    const array = try handles.acquire(input);
    defer array.release();
    return reduce.create(op, array, axis_list, keep);
}

/// argmin (0) / argmax (1) along `axis`.
fn argReduce(op_code: u32, input: Handle, axis: i32, keepdims: u32) callconv(.c) Handle {
    begin();
    return handleResult(argReduceChecked(op_code, input, axis, keepdims));
}

fn argReduceChecked(op_code: u32, input: Handle, axis: i32, keepdims: u32) errors.Error!*Array {
    const op = try opFromCode(reduce.ArgOp, "arg_reduce", op_code);
    const keep = try flagFromAbi(@tagName(op), "keepdims", keepdims);
    const array = try handles.acquire(input);
    defer array.release();
    return reduce.createArg(op, array, axis, keep);
}

/// A scan (cumsum, cumprod, cummax, cummin, logcumsumexp) along `axis`.
fn scan(op_code: u32, input: Handle, axis: i32, reverse: u32, inclusive: u32) callconv(.c) Handle {
    begin();
    return handleResult(scanChecked(op_code, input, axis, reverse, inclusive));
}

fn scanChecked(op_code: u32, input: Handle, axis: i32, reverse: u32, inclusive: u32) errors.Error!*Array {
    const op = try opFromCode(reduce.ScanOp, "scan", op_code);
    const backwards = try flagFromAbi(@tagName(op), "reverse", reverse);
    const include = try flagFromAbi(@tagName(op), "inclusive", inclusive);
    const array = try handles.acquire(input);
    defer array.release();
    return reduce.createScan(op, array, axis, backwards, include);
}

/// Sorting along `axis` (op code: sort, argsort, partition, argpartition, topk). `kth` is the
/// partition position (negative counts from the end) or topk's k; sort and argsort ignore it.
fn sortOp(op_code: u32, input: Handle, axis: i32, kth: i32) callconv(.c) Handle {
    begin();
    return handleResult(sortChecked(op_code, input, axis, kth));
}

fn sortChecked(op_code: u32, input: Handle, axis: i32, kth: i32) errors.Error!*Array {
    const op = try opFromCode(sort.Op, "sort", op_code);
    const array = try handles.acquire(input);
    defer array.release();
    return sort.create(op, array, axis, kth);
}

fn flagFromAbi(op: []const u8, name: []const u8, value: u32) errors.Error!bool {
    if (value > 1) {
        return errors.fail(error.InvalidArgument, "[{s}] {s} must be 0 or 1, got {d}", .{ op, name, value });
    }
    return value == 1;
}

/// Permutes axes (`axis_count` of them at `axes`; none: reverse them). A view: no copy.
fn transpose(input: Handle, axes: ?[*]const i32, axis_count: u32) callconv(.c) Handle {
    begin();
    return handleResult(transposeChecked(input, axes, axis_count));
}

fn transposeChecked(input: Handle, axes: ?[*]const i32, axis_count: u32) errors.Error!*Array {
    const axis_list = try axesFromAbi("transpose", axes, axis_count);
    const array = try handles.acquire(input);
    defer array.release();
    return view.createTranspose(array, axis_list);
}

/// `input` with shape `dims` (`ndim` of them); a view when the input's layout allows.
fn reshape(input: Handle, dims: ?[*]const i32, ndim: u32) callconv(.c) Handle {
    begin();
    return handleResult(reshapeChecked(input, dims, ndim));
}

fn reshapeChecked(input: Handle, dims: ?[*]const i32, ndim: u32) errors.Error!*Array {
    const target = try shapeFromAbi("reshape", dims, ndim);
    const array = try handles.acquire(input);
    defer array.release();
    return view.createReshape(array, target);
}

/// `input` broadcast to shape `dims`: a view (stride 0 on broadcast axes).
fn broadcastTo(input: Handle, dims: ?[*]const i32, ndim: u32) callconv(.c) Handle {
    begin();
    return handleResult(broadcastToChecked(input, dims, ndim));
}

fn broadcastToChecked(input: Handle, dims: ?[*]const i32, ndim: u32) errors.Error!*Array {
    const target = try shapeFromAbi("broadcast_to", dims, ndim);
    const array = try handles.acquire(input);
    defer array.release();
    return view.createBroadcastTo(array, target);
}

/// A strided view: `params` holds ndim starts, then ndim sizes, then ndim steps.
fn slice(input: Handle, params: ?[*]const i32, ndim: u32) callconv(.c) Handle {
    begin();
    return handleResult(sliceChecked(input, params, ndim));
}

fn sliceChecked(input: Handle, params: ?[*]const i32, ndim: u32) errors.Error!*Array {
    if (ndim > shape_mod.ndim_max or (ndim > 0 and params == null)) {
        return errors.fail(error.InvalidArgument, "[slice] {d} dimensions is not valid", .{ndim});
    }
    const array = try handles.acquire(input);
    defer array.release();
    const values: []const i32 = if (ndim == 0) &.{} else params.?[0 .. 3 * ndim];
    return view.createSlice(array, values[0..ndim], values[ndim .. 2 * ndim], values[2 * ndim ..]);
}

/// A view of `input` flattened: shape `dims` (`ndim`), element `strides` (`ndim` integral
/// doubles) and element `offset` (MLX's as_strided; every element reached must exist).
fn asStrided(input: Handle, dims: ?[*]const i32, ndim: u32, strides: ?[*]const f64, offset: f64) callconv(.c) Handle {
    begin();
    return handleResult(asStridedChecked(input, dims, ndim, strides, offset));
}

fn asStridedChecked(
    input: Handle,
    dims: ?[*]const i32,
    ndim: u32,
    strides: ?[*]const f64,
    offset: f64,
) errors.Error!*Array {
    const target = try shapeFromAbi("as_strided", dims, ndim);
    if (ndim > 0 and strides == null) {
        return errors.fail(error.InvalidArgument, "[as_strided] no strides given for {d} " ++
            "dimensions", .{ndim});
    }
    const limit: f64 = 9007199254740992.0; // 2^53: integers exact in a double
    var stride_list: [shape_mod.ndim_max]i64 = @splat(0);
    for (0..ndim) |axis| {
        const stride = strides.?[axis];
        if (stride != @trunc(stride) or @abs(stride) > limit) {
            return errors.fail(error.InvalidArgument, "[as_strided] stride {d} on axis {d} is " ++
                "not an integer in range", .{ stride, axis });
        }
        stride_list[axis] = @intFromFloat(stride);
    }
    if (offset != @trunc(offset) or offset < 0 or offset > limit) {
        return errors.fail(error.InvalidArgument, "[as_strided] offset {d} must be an integer " ++
            ">= 0", .{offset});
    }
    const array = try handles.acquire(input);
    defer array.release();
    return as_strided.create(array, target, stride_list[0..ndim], @intFromFloat(offset));
}

/// The `count` arrays whose handles are at `handle_list` joined along `axis`, their dtypes
/// promoted to a common one.
fn concatenate(handle_list: ?[*]const u32, count: u32, axis: i32) callconv(.c) Handle {
    begin();
    return handleResult(concatenateChecked(handle_list, count, axis));
}

fn concatenateChecked(handle_list: ?[*]const u32, count: u32, axis: i32) errors.Error!*Array {
    if (count == 0 or count > join.inputs_max or handle_list == null) {
        return errors.fail(error.InvalidArgument, "[concatenate] {d} arrays given; it takes 1 " ++
            "to {d}", .{ count, join.inputs_max });
    }
    const arrays = memory.allocator.alloc(*Array, count) catch
        return memory.outOfMemory(count * @sizeOf(*Array));
    defer memory.allocator.free(arrays);
    var acquired: usize = 0;
    defer for (arrays[0..acquired]) |array| array.release();
    for (handle_list.?[0..count]) |handle| {
        arrays[acquired] = try handles.acquire(handle);
        acquired += 1;
    }
    return join.createConcatenate(arrays, axis);
}

/// A row-major copy of `input` (which then owns its memory).
fn copyOp(input: Handle) callconv(.c) Handle {
    begin();
    return handleResult(copyChecked(input));
}

fn copyChecked(input: Handle) errors.Error!*Array {
    const array = try handles.acquire(input);
    defer array.release();
    return astype.createCopy(array);
}

fn arange(start: f64, stop: f64, step: f64, dtype_code: u32) callconv(.c) Handle {
    begin();
    const dtype = dtypeFromCode("arange", dtype_code) catch |err| {
        last_status = statusOf(err);
        return 0;
    };
    return handleResult(creation.createArange(start, stop, step, dtype));
}

/// out[b] = x[i_0[b], ..., i_n[b]] with one integer index array per axis of x (handles at
/// `index_handles`, `count` of them), broadcast together.
fn gather(x: Handle, index_handles: ?[*]const u32, count: u32) callconv(.c) Handle {
    begin();
    return handleResult(gatherChecked(x, index_handles, count));
}

fn gatherChecked(x_handle: Handle, index_handles: ?[*]const u32, count: u32) errors.Error!*Array {
    var indices: [shape_mod.ndim_max]*Array = undefined;
    const n = try acquireList("gather", index_handles, count, &indices);
    defer for (indices[0..n]) |a| a.release();
    const x = try handles.acquire(x_handle);
    defer x.release();
    return indexing.createGather(x, indices[0..n]);
}

/// A copy of x with `updates` written (op 0) or combined (1 add, 2 multiply, 3 maximum,
/// 4 minimum) at the positions of the index arrays, one per axis of x.
fn scatter(op_code: u32, x: Handle, index_handles: ?[*]const u32, count: u32, updates: Handle) callconv(.c) Handle {
    begin();
    return handleResult(scatterChecked(op_code, x, index_handles, count, updates));
}

fn scatterChecked(op_code: u32, x_handle: Handle, index_handles: ?[*]const u32, count: u32, updates_handle: Handle) errors.Error!*Array {
    const op = try opFromCode(indexing.ScatterOp, "scatter", op_code);
    var indices: [shape_mod.ndim_max]*Array = undefined;
    const n = try acquireList("scatter", index_handles, count, &indices);
    defer for (indices[0..n]) |a| a.release();
    const x = try handles.acquire(x_handle);
    defer x.release();
    const updates = try handles.acquire(updates_handle);
    defer updates.release();
    return indexing.createScatter(op, x, indices[0..n], updates);
}

/// Acquires up to ndim_max arrays from a handle list; the caller releases them.
fn acquireList(op: []const u8, list: ?[*]const u32, count: u32, out: []*Array) errors.Error!usize {
    if (count > out.len or (count > 0 and list == null)) {
        return errors.fail(error.InvalidArgument, "[{s}] {d} arrays given; at most {d}", .{ op, count, out.len });
    }
    for (0..count) |k| {
        errdefer for (out[0..k]) |a| a.release();
        out[k] = try handles.acquire(list.?[k]);
    }
    return count;
}

fn astypeOp(input: Handle, dtype_code: u32) callconv(.c) Handle {
    begin();
    return handleResult(astypeChecked(input, dtype_code));
}

fn astypeChecked(input: Handle, dtype_code: u32) errors.Error!*Array {
    const dtype = try dtypeFromCode("astype", dtype_code);
    const array = try handles.acquire(input);
    defer array.release();
    return astype.create(array, dtype);
}

// ---------------------------------------------------------------------------------------------
// Function transforms

/// At most this many arrays cross in one transform call (outputs, primals).
const transform_arrays_max = 1 << 16;

/// Starts a transform's trace: until the matching `trace_end`, evaluated tracers keep their
/// graph for the derivative rules.
fn traceBegin() callconv(.c) void {
    begin();
    @import("array.zig").beginTracing();
}

fn traceEnd() callconv(.c) Status {
    begin();
    return statusResult(traceEndChecked());
}

fn traceEndChecked() errors.Error!void {
    if (!@import("array.zig").isTracing()) {
        return errors.fail(error.InvalidArgument, "[trace_end] no trace is open", .{});
    }
    @import("array.zig").endTracing();
}

/// A tracer standing for `input` in a traced function: a view of it that the transforms
/// differentiate with respect to.
fn tracer(input: Handle) callconv(.c) Handle {
    begin();
    return handleResult(tracerChecked(input));
}

fn tracerChecked(input: Handle) errors.Error!*Array {
    const array = try handles.acquire(input);
    defer array.release();
    const node = try Array.createLazy(array.dtype, array.shape, .broadcast_to, &.{array});
    node.tracer = true;
    return node;
}

/// The vector-Jacobian product: writes into `grads` (`primal_count` handles) the cotangents
/// of `primals` given `cotangents` of `outputs` (`output_count` each).
fn vjpOp(
    output_list: ?[*]const u32,
    cotangent_list: ?[*]const u32,
    output_count: u32,
    primal_list: ?[*]const u32,
    primal_count: u32,
    grads: ?[*]Handle,
) callconv(.c) Status {
    begin();
    return statusResult(vjpChecked(output_list, cotangent_list, output_count, primal_list,
        primal_count, grads));
}

fn vjpChecked(
    output_list: ?[*]const u32,
    cotangent_list: ?[*]const u32,
    output_count: u32,
    primal_list: ?[*]const u32,
    primal_count: u32,
    grads: ?[*]Handle,
) errors.Error!void {
    if (output_count > transform_arrays_max or primal_count > transform_arrays_max or
        (output_count > 0 and (output_list == null or cotangent_list == null)) or
        (primal_count > 0 and (primal_list == null or grads == null)))
    {
        return errors.fail(error.InvalidArgument, "[vjp] {d} outputs and {d} primals given; " ++
            "at most {d} each", .{ output_count, primal_count, transform_arrays_max });
    }
    const outputs_and_cotangents = try acquireMany("vjp", output_list, output_count, cotangent_list, output_count);
    defer releaseMany(outputs_and_cotangents);
    const primals = try acquireMany("vjp", primal_list, primal_count, null, 0);
    defer releaseMany(primals);
    const results = memory.allocator.alloc(*Array, primal_count) catch
        return memory.outOfMemory(primal_count * @sizeOf(*Array));
    defer memory.allocator.free(results);
    try vjp_mod.vjp(outputs_and_cotangents[0..output_count], outputs_and_cotangents[output_count..],
        primals, results);
    defer for (results) |result| result.release();
    if (primal_count > 0) try insertHandles(results, grads.?);
}

/// Hands `results` out as new handles in `out` (each handle holds its own reference); on a
/// failure the handles made so far are removed again.
fn insertHandles(results: []const *Array, out: [*]Handle) errors.Error!void {
    var inserted: usize = 0;
    errdefer for (out[0..inserted]) |handle| handles.remove(handle) catch unreachable;
    for (results, 0..) |result, k| {
        result.retain(); // The handle's reference (insert releases it on failure).
        out[k] = try handles.insert(result);
        inserted += 1;
    }
}

/// Opens a `compile` trace (also a transform trace): evaluating a tracer is an error until
/// `compile_end`.
fn compileBegin() callconv(.c) void {
    begin();
    @import("array.zig").beginTracing();
    @import("array.zig").beginCompileTrace();
}

fn compileEnd() callconv(.c) Status {
    begin();
    return statusResult(compileEndChecked());
}

fn compileEndChecked() errors.Error!void {
    if (!@import("array.zig").isCompileTracing()) {
        return errors.fail(error.InvalidArgument, "[compile_end] no compile trace is open", .{});
    }
    @import("array.zig").endCompileTrace();
    @import("array.zig").endTracing();
}

/// Captures the graph from the tracers `inputs` to `outputs` as a program; returns its id, or
/// 0 on failure.
fn compileBuild(
    output_list: ?[*]const u32,
    output_count: u32,
    input_list: ?[*]const u32,
    input_count: u32,
    shapeless: u32,
) callconv(.c) u32 {
    begin();
    return compileBuildChecked(output_list, output_count, input_list, input_count, shapeless != 0) catch |err| {
        _ = statusResult(err);
        return 0;
    };
}

fn compileBuildChecked(
    output_list: ?[*]const u32,
    output_count: u32,
    input_list: ?[*]const u32,
    input_count: u32,
    shapeless: bool,
) errors.Error!u32 {
    const arrays = try acquireMany("compile", output_list, output_count, input_list, input_count);
    defer releaseMany(arrays);
    return compile_mod.build(arrays[0..output_count], arrays[output_count..], shapeless);
}

/// Replays program `id` on `inputs`; writes `output_count` new handles into `outputs`.
fn compileRun(
    id: u32,
    input_list: ?[*]const u32,
    input_count: u32,
    outputs: ?[*]Handle,
    output_count: u32,
) callconv(.c) Status {
    begin();
    return statusResult(compileRunChecked(id, input_list, input_count, outputs, output_count));
}

fn compileRunChecked(
    id: u32,
    input_list: ?[*]const u32,
    input_count: u32,
    outputs: ?[*]Handle,
    output_count: u32,
) errors.Error!void {
    if (output_count > 0 and outputs == null) {
        return errors.fail(error.InvalidArgument, "[compile] no room for the outputs", .{});
    }
    const inputs = try acquireMany("compile", null, 0, input_list, input_count);
    defer releaseMany(inputs);
    const results = memory.allocator.alloc(*Array, output_count) catch
        return memory.outOfMemory(output_count * @sizeOf(*Array));
    defer memory.allocator.free(results);
    try compile_mod.run(id, inputs, results);
    defer for (results) |result| result.release();
    if (output_count > 0) try insertHandles(results, outputs.?);
}

fn compileFree(id: u32) callconv(.c) Status {
    begin();
    return statusResult(compile_mod.free(id));
}

/// The number of steps program `id` replays after merging common subexpressions (`fused` != 0:
/// and fusing elementwise chains), or -1.
fn compileStepCount(id: u32, fused_form: u32) callconv(.c) i32 {
    begin();
    const count = (if (fused_form != 0) compile_mod.fusedStepCount(id) else compile_mod.stepCount(id)) catch |err| {
        _ = statusResult(err);
        return -1;
    };
    return @intCast(count);
}

/// Output `output_index` of a custom function over `primals` (whose value is `output`), its
/// vjp program `program` (from `compile_build` over placeholder cotangents).
fn customOutput(
    program: u32,
    output_index: u32,
    primal_list: ?[*]const u32,
    primal_count: u32,
    output: Handle,
) callconv(.c) Handle {
    begin();
    return handleResult(customOutputChecked(program, output_index, primal_list, primal_count, output));
}

fn customOutputChecked(
    program: u32,
    output_index: u32,
    primal_list: ?[*]const u32,
    primal_count: u32,
    output_handle: Handle,
) errors.Error!*Array {
    const primals = try acquireMany("custom_function", primal_list, primal_count, null, 0);
    defer releaseMany(primals);
    const output = try handles.acquire(output_handle);
    defer output.release();
    return custom_mod.create(program, output_index, primals, output);
}

/// A view of `input` that is not a tracer: what is computed from it is not differentiated
/// (and is evaluated and freed as usual while a transform traces).
fn untraced(input: Handle) callconv(.c) Handle {
    begin();
    return handleResult(untracedChecked(input));
}

fn untracedChecked(input: Handle) errors.Error!*Array {
    const array = try handles.acquire(input);
    defer array.release();
    const node = try Array.createLazy(array.dtype, array.shape, .broadcast_to, &.{array});
    node.tracer = false;
    return node;
}

/// Acquires two handle lists into one slice (first `a_count`, then `b_count`).
fn acquireMany(
    op: []const u8,
    a_list: ?[*]const u32,
    a_count: u32,
    b_list: ?[*]const u32,
    b_count: u32,
) errors.Error![]*Array {
    if (a_count > transform_arrays_max or b_count > transform_arrays_max or
        (a_count > 0 and a_list == null) or (b_count > 0 and b_list == null))
    {
        return errors.fail(error.InvalidArgument, "[{s}] {d} and {d} arrays given; at most {d} " ++
            "each", .{ op, a_count, b_count, transform_arrays_max });
    }
    const arrays = memory.allocator.alloc(*Array, a_count + b_count) catch
        return memory.outOfMemory((a_count + b_count) * @sizeOf(*Array));
    var acquired: usize = 0;
    errdefer {
        for (arrays[0..acquired]) |array| array.release();
        memory.allocator.free(arrays);
    }
    for (0..a_count) |k| {
        arrays[acquired] = try handles.acquire(a_list.?[k]);
        acquired += 1;
    }
    for (0..b_count) |k| {
        arrays[acquired] = try handles.acquire(b_list.?[k]);
        acquired += 1;
    }
    return arrays;
}

fn releaseMany(arrays: []*Array) void {
    for (arrays) |array| array.release();
    memory.allocator.free(arrays);
}

// ---------------------------------------------------------------------------------------------
// Memory

fn memoryActiveBytes() callconv(.c) u64 {
    return memory.activeBytes();
}

fn memoryPeakBytes() callconv(.c) u64 {
    return memory.peakBytes();
}

fn memoryResetPeak() callconv(.c) void {
    memory.resetPeak();
}

/// Sets the limit on active bytes (0: none); returns the previous limit.
fn memorySetLimit(limit_bytes: u64) callconv(.c) u64 {
    return memory.setLimit(limit_bytes);
}

fn memoryCacheBytes() callconv(.c) u64 {
    return memory.cacheBytes();
}

/// Sets the bound on cached bytes (0: no caching); returns the previous bound.
fn memorySetCacheLimit(limit_bytes: u64) callconv(.c) u64 {
    return memory.setCacheLimit(limit_bytes);
}

fn memoryClearCache() callconv(.c) void {
    memory.clearCache();
}

// ---------------------------------------------------------------------------------------------
// Quantization

fn formatFromAbi(op: []const u8, group_size: u32, bits: u32, mode: u32) errors.Error!quantized.Format {
    if (mode > 1 or bits > 8 or group_size > 1 << 20) {
        return errors.fail(error.InvalidArgument, "[{s}] invalid quantization: mode {d}, " ++
            "{d} bits, group size {d}", .{ op, mode, bits, group_size });
    }
    return .{ .group_size = group_size, .bits = @intCast(bits), .mode = @enumFromInt(mode) };
}

/// One output of quantize(w): `part` 0 codes, 1 scales, 2 biases; `mode` 0 affine, 1 mxfp4.
fn quantize(w: Handle, group_size: u32, bits: u32, mode: u32, part: u32) callconv(.c) Handle {
    begin();
    return handleResult(quantizeChecked(w, group_size, bits, mode, part));
}

fn quantizeChecked(w_handle: Handle, group_size: u32, bits: u32, mode: u32, part: u32) errors.Error!*Array {
    const format = try formatFromAbi("quantize", group_size, bits, mode);
    if (part > 2) return errors.fail(error.InvalidArgument, "[quantize] invalid part {d}", .{part});
    const w = try handles.acquire(w_handle);
    defer w.release();
    return quantized.createQuantize(w, format, @enumFromInt(part));
}

/// dequantize(w, scales, biases); `biases` 0 for none, `dtype_code` -1 for the default dtype.
fn dequantize(w: Handle, scales: Handle, biases: Handle, group_size: u32, bits: u32, mode: u32,
    dtype_code: i32) callconv(.c) Handle {
    begin();
    return handleResult(dequantizeChecked(w, scales, biases, group_size, bits, mode, dtype_code));
}

fn dequantizeChecked(w_handle: Handle, scales_handle: Handle, biases_handle: Handle, group_size: u32,
    bits: u32, mode: u32, dtype_code: i32) errors.Error!*Array {
    const format = try formatFromAbi("dequantize", group_size, bits, mode);
    const dtype: ?DType = if (dtype_code < 0) null else try dtypeFromCode("dequantize", @intCast(dtype_code));
    const w = try handles.acquire(w_handle);
    defer w.release();
    const scales = try handles.acquire(scales_handle);
    defer scales.release();
    const biases: ?*Array = if (biases_handle == 0) null else try handles.acquire(biases_handle);
    defer if (biases) |b| b.release();
    return quantized.createDequantize(w, scales, biases, format, dtype);
}

/// quantized_matmul(x, w, scales, biases); `biases` 0 for none; `transpose` 0 or 1.
fn quantizedMatmul(x: Handle, w: Handle, scales: Handle, biases: Handle, group_size: u32, bits: u32,
    mode: u32, transposed: u32) callconv(.c) Handle {
    begin();
    return handleResult(quantizedMatmulChecked(x, w, scales, biases, group_size, bits, mode, transposed));
}

fn quantizedMatmulChecked(x_handle: Handle, w_handle: Handle, scales_handle: Handle, biases_handle: Handle,
    group_size: u32, bits: u32, mode: u32, transposed: u32) errors.Error!*Array {
    const format = try formatFromAbi("quantized_matmul", group_size, bits, mode);
    const x = try handles.acquire(x_handle);
    defer x.release();
    const w = try handles.acquire(w_handle);
    defer w.release();
    const scales = try handles.acquire(scales_handle);
    defer scales.release();
    const biases: ?*Array = if (biases_handle == 0) null else try handles.acquire(biases_handle);
    defer if (biases) |b| b.release();
    return quantized.createMatmul(x, w, scales, biases, format, transposed != 0);
}

/// Handles of optional operands: 0 for none.
fn acquireOptional(handle: Handle) errors.Error!?*Array {
    return if (handle == 0) null else try handles.acquire(handle);
}

/// rms_norm (`kind` 0; `bias` must be 0) or layer_norm (`kind` 1) over the last axis.
fn fastNorm(kind: u32, x: Handle, weight: Handle, bias: Handle, eps: f64) callconv(.c) Handle {
    begin();
    return handleResult(fastNormChecked(kind, x, weight, bias, eps));
}

fn fastNormChecked(kind_code: u32, x_handle: Handle, weight_handle: Handle, bias_handle: Handle, eps: f64) errors.Error!*Array {
    const kind = try opFromCode(fast.NormKind, "fast_norm", kind_code);
    if (kind == .rms and bias_handle != 0) {
        return errors.fail(error.InvalidArgument, "[rms_norm] takes no bias", .{});
    }
    const x = try handles.acquire(x_handle);
    defer x.release();
    const weight = try acquireOptional(weight_handle);
    defer if (weight) |a| a.release();
    const bias = try acquireOptional(bias_handle);
    defer if (bias) |a| a.release();
    return fast.createNorm(kind, x, weight, bias, @floatCast(eps));
}

/// rope over the last two axes of x; `offset_array` (a scalar integer array, or 0) replaces
/// `offset`; `freqs` (or 0) replaces `base`.
fn fastRope(x: Handle, dims: i32, traditional: u32, base: f64, scale: f64, offset: i32, offset_array: Handle,
    freqs: Handle) callconv(.c) Handle {
    begin();
    return handleResult(fastRopeChecked(x, dims, traditional, base, scale, offset, offset_array, freqs));
}

fn fastRopeChecked(x_handle: Handle, dims: i32, traditional: u32, base: f64, scale: f64, offset: i32,
    offset_handle: Handle, freqs_handle: Handle) errors.Error!*Array {
    const x = try handles.acquire(x_handle);
    defer x.release();
    const offset_array = try acquireOptional(offset_handle);
    defer if (offset_array) |a| a.release();
    const freqs = try acquireOptional(freqs_handle);
    defer if (freqs) |a| a.release();
    return fast.createRope(x, .{ .dims = dims, .traditional = traditional != 0, .base = @floatCast(base),
        .scale = @floatCast(scale), .offset = offset, .offset_array = offset_array, .freqs = freqs });
}

/// scaled_dot_product_attention(q, k, v); `causal` 1 for the causal mask, else `mask` (or 0).
fn fastAttention(q: Handle, k: Handle, v: Handle, scale: f64, causal: u32, mask: Handle) callconv(.c) Handle {
    begin();
    return handleResult(fastAttentionChecked(q, k, v, scale, causal, mask));
}

fn fastAttentionChecked(q_handle: Handle, k_handle: Handle, v_handle: Handle, scale: f64, causal: u32,
    mask_handle: Handle) errors.Error!*Array {
    if (causal != 0 and mask_handle != 0) {
        return errors.fail(error.InvalidArgument, "[scaled_dot_product_attention] a causal mask and a mask array were both given", .{});
    }
    const q = try handles.acquire(q_handle);
    defer q.release();
    const k = try handles.acquire(k_handle);
    defer k.release();
    const v = try handles.acquire(v_handle);
    defer v.release();
    const mask = try acquireOptional(mask_handle);
    defer if (mask) |a| a.release();
    return fast.createAttention(q, k, v, @floatCast(scale), causal != 0, mask);
}

fn liveHandles() callconv(.c) u32 {
    return handles.liveCount();
}

// ---------------------------------------------------------------------------------------------
// Argument checks

fn dtypeFromCode(op: []const u8, code: u32) errors.Error!DType {
    return DType.fromCode(code) orelse errors.fail(error.InvalidArgument, "[{s}] unknown " ++
        "dtype code {d}", .{ op, code });
}

fn axesFromAbi(op: []const u8, axes: ?[*]const i32, count: u32) errors.Error![]const i32 {
    if (count > shape_mod.ndim_max or (count > 0 and axes == null)) {
        return errors.fail(error.InvalidArgument, "[{s}] {d} axes is not a valid axis list", .{
            op, count,
        });
    }
    return if (count == 0) &.{} else axes.?[0..count];
}

fn shapeFromAbi(op: []const u8, dims: ?[*]const i32, ndim: u32) errors.Error!shape_mod.Shape {
    if (ndim > shape_mod.ndim_max) {
        return errors.fail(error.LimitExceeded, "[{s}] {d} dimensions exceed the limit of {d}", .{
            op, ndim, shape_mod.ndim_max,
        });
    }
    if (ndim > 0 and dims == null) {
        return errors.fail(error.InvalidArgument, "[{s}] no shape given for {d} dimensions", .{
            op, ndim,
        });
    }
    return shape_mod.Shape.init(if (ndim == 0) &.{} else dims.?[0..ndim]);
}

// ---------------------------------------------------------------------------------------------
// Export table

const exports = .{
    .{ "version", version },
    .{ "cpu_level", cpuLevel },
    .{ "cpu_level_built", cpuLevelBuilt },
    .{ "trace_begin", traceBegin },
    .{ "trace_end", traceEnd },
    .{ "tracer", tracer },
    .{ "vjp", vjpOp },
    .{ "compile_begin", compileBegin },
    .{ "compile_end", compileEnd },
    .{ "compile_build", compileBuild },
    .{ "compile_run", compileRun },
    .{ "compile_free", compileFree },
    .{ "compile_step_count", compileStepCount },
    .{ "custom_output", customOutput },
    .{ "untraced", untraced },
    .{ "last_status", lastStatus },
    .{ "last_error_length", lastErrorLength },
    .{ "last_error_copy", lastErrorCopy },
    .{ "abi_signatures", abiSignatures },
    .{ "array_from_bytes", arrayFromBytes },
    .{ "array_free", arrayFree },
    .{ "array_ndim", arrayNdim },
    .{ "array_dtype", arrayDtype },
    .{ "array_shape", arrayShape },
    .{ "array_is_evaluated", arrayIsEvaluated },
    .{ "array_read", arrayRead },
    .{ "array_data", arrayData },
    .{ "eval", eval },
    .{ "eval_async", evalAsync },
    .{ "eval_poll", evalPoll },
    .{ "eval_release", evalRelease },
    .{ "op_names", opNames },
    .{ "unary", unaryOp },
    .{ "binary", binaryOp },
    .{ "where", where },
    .{ "reduce", reduceOp },
    .{ "arg_reduce", argReduce },
    .{ "scan", scan },
    .{ "sort", sortOp },
    .{ "astype", astypeOp },
    .{ "transpose", transpose },
    .{ "reshape", reshape },
    .{ "broadcast_to", broadcastTo },
    .{ "slice", slice },
    .{ "concatenate", concatenate },
    .{ "matmul", matmul },
    .{ "random_bits", randomBits },
    .{ "linalg_inverse", linalgInverse },
    .{ "linalg_cholesky", linalgCholesky },
    .{ "linalg_lu_factor", linalgLuFactor },
    .{ "fft", fft },
    .{ "linalg_decompose", linalgDecompose },
    .{ "copy", copyOp },
    .{ "arange", arange },
    .{ "gather", gather },
    .{ "scatter", scatter },
    .{ "memory_active_bytes", memoryActiveBytes },
    .{ "memory_peak_bytes", memoryPeakBytes },
    .{ "memory_reset_peak", memoryResetPeak },
    .{ "memory_set_limit", memorySetLimit },
    .{ "memory_cache_bytes", memoryCacheBytes },
    .{ "memory_set_cache_limit", memorySetCacheLimit },
    .{ "memory_clear_cache", memoryClearCache },
    .{ "live_handles", liveHandles },
    .{ "convolution", convolution },
    .{ "as_strided", asStrided },
    .{ "gguf_unpack", ggufUnpack },
    .{ "quantize", quantize },
    .{ "dequantize", dequantize },
    .{ "quantized_matmul", quantizedMatmul },
    .{ "fast_norm", fastNorm },
    .{ "fast_rope", fastRope },
    .{ "fast_attention", fastAttention },
};

pub const symbol_prefix = "mlxts_";

comptime {
    for (exports) |entry| {
        const function = entry[1];
        @export(&function, .{ .name = symbol_prefix ++ entry[0] });
    }
}

/// `name(arg,arg)result;` for every export, in table order, with types as `i32`, `u32`,
/// `u64`, `f64`, `ptr`, `void`.
const signatures: []const u8 = blk: {
    @setEvalBranchQuota(100_000);
    var text: []const u8 = "";
    for (exports) |entry| {
        const info = @typeInfo(@TypeOf(entry[1])).@"fn";
        assert(info.calling_convention.eql(.c));
        text = text ++ entry[0] ++ "(";
        for (info.params, 0..) |param, index| {
            text = text ++ (if (index > 0) "," else "") ++ abiTypeName(param.type.?);
        }
        text = text ++ ")" ++ abiTypeName(info.return_type.?) ++ ";";
    }
    break :blk text;
};

fn abiTypeName(comptime T: type) []const u8 {
    return switch (@typeInfo(T)) {
        .pointer, .optional => "ptr",
        .void => "void",
        .@"enum" => abiTypeName(@typeInfo(T).@"enum".tag_type),
        .int, .float => @typeName(T),
        else => @compileError("type not allowed at the ABI: " ++ @typeName(T)),
    };
}

test {
    std.testing.refAllDecls(@This());
    _ = @import("io/gguf_quants.zig");
    _ = @import("cpu_level.zig");
    _ = @import("dtype.zig");
    _ = @import("errors.zig");
    _ = @import("memory.zig");
    _ = @import("shape.zig");
    _ = @import("array.zig");
    _ = @import("handles.zig");
    _ = @import("backend/cpu/cast.zig");
    _ = @import("backend/cpu/strided.zig");
    _ = @import("backend/cpu/pool.zig");
    _ = @import("backend/cpu/special.zig");
    _ = @import("backend/cpu/vmath.zig");
    _ = @import("backend/cpu/order.zig");
    _ = @import("backend/cpu/select.zig");
    _ = @import("graph_test.zig");
    _ = @import("primitives/join.zig");
    _ = @import("primitives/indexing.zig");
    _ = @import("primitives/matmul.zig");
    _ = @import("primitives/decompositions.zig");
    _ = @import("backend/cpu/norm.zig");
    _ = @import("backend/cpu/rope.zig");
    _ = @import("backend/cpu/attention.zig");
    _ = @import("backend/cpu/householder.zig");
    _ = @import("backend/cpu/svd.zig");
    _ = @import("backend/cpu/eigh.zig");
    _ = @import("backend/cpu/eig.zig");
    _ = @import("backend/cpu/gemm.zig");
    _ = @import("backend/cpu/gemm_pairs.zig");
    _ = @import("primitives/random.zig");
    _ = @import("backend/cpu/threefry.zig");
    _ = @import("primitives/conv.zig");
    _ = @import("primitives/as_strided.zig");
    _ = @import("backend/cpu/conv.zig");
    _ = @import("primitives/fft.zig");
    _ = @import("backend/cpu/fft_plan.zig");
    _ = @import("backend/cpu/fft_real.zig");
    _ = @import("sort_test.zig");
    _ = @import("primitives/linalg.zig");
    _ = @import("backend/cpu/row_ops.zig");
    _ = @import("backend/cpu/lu.zig");
    _ = @import("backend/cpu/triangular.zig");
    _ = @import("backend/cpu/cholesky.zig");
    _ = @import("backend/cpu/quantized.zig");
    _ = @import("backend/cpu/quantized_lanes.zig");
    _ = @import("backend/cpu/quantized_matvec.zig");
}
