//! Kernels that run along one axis: arg-reductions (argmin, argmax) and scans (cumsum,
//! cumprod, cummax, cummin, logcumsumexp). The input is cut into lines along the axis; lines
//! are independent and split across the thread pool.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const shape_mod = @import("../../shape.zig");
const Array = @import("../../array.zig").Array;
const strided = @import("strided.zig");
const pool = @import("pool.zig");
const cast = @import("cast.zig");
const binary_ops = @import("binary_ops.zig");
const Lines = @import("lines.zig").Lines;

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;

// ---------------------------------------------------------------------------------------------
// argmin / argmax

pub const ArgOp = enum(u8) { argmin, argmax };

/// Whether `x` replaces `best` as the extreme so far: NaN wins (the first one), ties keep the
/// first index.
fn better(comptime op: ArgOp, comptime dtype: DType, x: Storage(dtype), best: Storage(dtype)) bool {
    switch (dtype) {
        .float16, .bfloat16 => return better(op, .float32, cast.convert(.float32, dtype, x), cast.convert(.float32, dtype, best)),
        .complex64 => {
            const less = x.re < best.re or (x.re == best.re and x.im < best.im);
            const greater = x.re > best.re or (x.re == best.re and x.im > best.im);
            return if (op == .argmax) greater else less;
        },
        else => {},
    }
    if (@typeInfo(Storage(dtype)) == .float) {
        if (best != best) return false;
        if (x != x) return true;
    }
    return if (op == .argmax) x > best else x < best;
}

fn ArgKernel(comptime op: ArgOp, comptime dtype: DType) type {
    const T = Storage(dtype);
    return struct {
        lines: Lines,
        input: [*]T,
        out: [*]u32,

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            for (start..end) |line| {
                const first = self.lines.starts(line);
                var best = strided.at(T, self.input, first[1]).*;
                var best_index: u32 = 0;
                var k: i64 = 1;
                while (k < self.lines.length) : (k += 1) {
                    const x = strided.at(T, self.input, first[1] + k * self.lines.stride).*;
                    if (better(op, dtype, x, best)) {
                        best = x;
                        best_index = @intCast(k);
                    }
                }
                strided.at(u32, self.out, first[0]).* = best_index;
            }
        }
    };
}

/// The index of the extreme element along `axis` into `out` (uint32, row-major, the input's
/// shape without `axis`). The axis must not be empty.
pub fn runArg(op: ArgOp, out: *Array, input: *const Array, axis: u8) void {
    assert(out.dtype == .uint32 and out.isRowContiguous());
    assert(input.shape.dims[axis] > 0);
    // The output holds the kept axes row-major (a kept size-1 axis adds nothing), so the
    // strides come from the input shape without `axis`.
    var kept: shape_mod.Shape = .{};
    for (0..input.shape.ndim) |i| {
        if (i == axis) continue;
        kept.dims[kept.ndim] = input.shape.dims[i];
        kept.ndim += 1;
    }
    assert(kept.size() == out.shape.size());
    const kept_strides = shape_mod.rowMajorStrides(kept);
    var out_strides: shape_mod.Strides = @splat(0);
    var next: usize = 0;
    for (0..input.shape.ndim) |i| {
        if (i == axis) continue;
        out_strides[i] = kept_strides[next];
        next += 1;
    }
    const lines = Lines.init(input, axis, out_strides, out.offset);
    if (lines.count() == 0) return;
    switch (op) {
        inline else => |comptime_op| switch (input.dtype) {
            inline else => |dtype| {
                const K = ArgKernel(comptime_op, dtype);
                const kernel: K = .{ .lines = lines, .input = input.basePtr(Storage(dtype)), .out = out.basePtr(u32) };
                pool.parallelFor(lines.count(), lines.grain(), &kernel, K.runRange);
            },
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Scans

/// The order is the ABI's op code.
pub const ScanOp = enum(u8) { cumsum, cumprod, cummax, cummin, logcumsumexp };

/// The dtype a scan computes and returns, for an input dtype (MLX's rules): the input is
/// converted to it first. Null where MLX rejects the dtype.
pub fn scanDtype(op: ScanOp, input: DType) DType {
    const exact = input == .bool_ or input.isInteger();
    return switch (op) {
        .cumsum => if (input == .bool_) .int32 else input,
        .cumprod, .cummax, .cummin => input,
        .logcumsumexp => if (exact) .float32 else input,
    };
}

fn scanBinary(op: ScanOp) binary_ops.BinaryOp {
    return switch (op) {
        .cumsum => .add,
        .cumprod => .multiply,
        .cummax => .maximum,
        .cummin => .minimum,
        .logcumsumexp => .logaddexp,
    };
}

fn scanAccumulator(dtype: DType) DType {
    return switch (dtype) {
        .float16, .bfloat16 => .float32,
        else => dtype,
    };
}

/// The value an exclusive scan starts from.
fn scanIdentity(comptime op: ScanOp, comptime acc: DType) Storage(acc) {
    const T = Storage(acc);
    const inf = std.math.inf(f32);
    return switch (op) {
        .cumsum => cast.convert(acc, .int32, 0),
        .cumprod => cast.convert(acc, .int32, 1),
        .logcumsumexp => if (acc == .complex64) .{ .re = -inf, .im = 0 } else -std.math.inf(T),
        .cummax, .cummin => switch (acc) {
            .bool_ => if (op == .cummin) 1 else 0,
            .complex64 => if (op == .cummin) .{ .re = inf, .im = inf } else .{ .re = -inf, .im = -inf },
            else => switch (@typeInfo(T)) {
                .float => if (op == .cummin) std.math.inf(T) else -std.math.inf(T),
                .int => if (op == .cummin) std.math.maxInt(T) else std.math.minInt(T),
                else => comptime unreachable,
            },
        },
    };
}

fn ScanKernel(comptime op: ScanOp, comptime dtype: DType) type {
    const T = Storage(dtype);
    const acc_dtype = scanAccumulator(dtype);
    const Acc = Storage(acc_dtype);
    return struct {
        lines: Lines,
        input: [*]T,
        out: [*]T,
        reverse: bool,
        inclusive: bool,

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const length = self.lines.length;
            for (start..end) |line| {
                const first = self.lines.starts(line);
                if (op == .cumsum and dtype == .float32 and !self.reverse and self.inclusive and
                    self.lines.stride == 1 and self.lines.out_stride == 1)
                {
                    const length_elements: usize = @intCast(length);
                    contiguousSum(strided.ptrAt(f32, self.input, first[1])[0..length_elements],
                        strided.ptrAt(f32, self.out, first[0])[0..length_elements]);
                    continue;
                }
                var acc: Acc = scanIdentity(op, acc_dtype);
                var step: i64 = 0;
                while (step < length) : (step += 1) {
                    const k = if (self.reverse) length - 1 - step else step;
                    const x = cast.convert(acc_dtype, dtype, strided.at(T, self.input, first[1] + k * self.lines.stride).*);
                    const slot = strided.at(T, self.out, first[0] + k * self.lines.out_stride);
                    if (self.inclusive) {
                        acc = binary_ops.apply(scanBinary(op), acc_dtype, acc_dtype, acc, x);
                        slot.* = cast.convert(dtype, acc_dtype, acc);
                    } else {
                        slot.* = cast.convert(dtype, acc_dtype, acc);
                        acc = binary_ops.apply(scanBinary(op), acc_dtype, acc_dtype, acc, x);
                    }
                }
            }
        }
    };
}

const scan_lanes = 16;
const ScanVector = @Vector(scan_lanes, f32);

/// The inclusive cumulative sum of a contiguous float32 line: a prefix sum inside each
/// 16-lane vector (four shifted adds), plus the running total. The serial form waits on one
/// add's latency per element; this waits once per vector. The sums round in a different
/// order from the serial loop (a tree within each vector), no less accurately.
fn contiguousSum(input: []const f32, out: []f32) void {
    assert(input.len == out.len);
    var carry: f32 = 0;
    var k: usize = 0;
    while (k + scan_lanes <= input.len) : (k += scan_lanes) {
        var x: ScanVector = input[k..][0..scan_lanes].*;
        inline for (.{ 1, 2, 4, 8 }) |shift| x += shiftLanesUp(x, shift);
        x += @as(ScanVector, @splat(carry));
        out[k..][0..scan_lanes].* = x;
        carry = x[scan_lanes - 1];
    }
    for (input[k..], out[k..]) |x, *slot| {
        carry += x;
        slot.* = carry;
    }
}

/// Lane i of the result is lane i - shift of `x` (0 below `shift`).
inline fn shiftLanesUp(x: ScanVector, comptime shift: usize) ScanVector {
    const mask = comptime blk: {
        var m: [scan_lanes]i32 = undefined;
        for (&m, 0..) |*lane, i| lane.* = if (i >= shift) @intCast(i - shift) else -1;
        break :blk m;
    };
    return @shuffle(f32, x, @as(ScanVector, @splat(0)), mask);
}

test "contiguousSum equals the serial sums of exactly representable values" {
    var input: [53]f32 = undefined;
    for (&input, 0..) |*x, i| x.* = @floatFromInt((i * 7) % 11);
    var out: [53]f32 = undefined;
    contiguousSum(&input, &out);
    var total: f32 = 0;
    for (input, out) |x, got| {
        total += x;
        try std.testing.expectEqual(total, got);
    }
}

/// Scans `input` along `axis` into `out` (same shape and dtype, allocated row-major).
pub fn runScan(op: ScanOp, out: *Array, input: *const Array, axis: u8, reverse: bool, inclusive: bool) void {
    assert(out.dtype == input.dtype and out.isRowContiguous());
    const lines = Lines.init(input, axis, out.strides, out.offset);
    if (lines.count() == 0 or lines.length == 0) return;
    switch (op) {
        inline else => |comptime_op| switch (input.dtype) {
            inline else => |dtype| {
                if (comptime scanDtype(comptime_op, dtype) == dtype) {
                    const K = ScanKernel(comptime_op, dtype);
                    const kernel: K = .{
                        .lines = lines,
                        .input = input.basePtr(Storage(dtype)),
                        .out = out.basePtr(Storage(dtype)),
                        .reverse = reverse,
                        .inclusive = inclusive,
                    };
                    pool.parallelFor(lines.count(), lines.grain(), &kernel, K.runRange);
                } else unreachable;
            },
        },
    }
}
