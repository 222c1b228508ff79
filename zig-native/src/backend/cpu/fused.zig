//! Fused float32 elementwise programs (made by `compile`): a chain of unary and binary ops
//! runs over blocks of the output, its intermediates in registers (per-thread block buffers
//! that stay in cache) instead of whole arrays; inputs broadcast with any strides. One pass
//! over memory instead of one per op.

const std = @import("std");
const assert = std.debug.assert;
const shape_mod = @import("../../shape.zig");
const Array = @import("../../array.zig").Array;
const unary_ops = @import("unary_ops.zig");
const binary_ops = @import("binary_ops.zig");
const strided = @import("strided.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");

pub const inputs_max = 8;
pub const instructions_max = 24;
/// Elements per block: registers are `block` f32 each.
const block = 256;
const lanes = 16;
const V = @Vector(lanes, f32);

comptime {
    assert(block % lanes == 0);
}

pub const Instruction = struct {
    op: union(enum) { unary: unary_ops.UnaryOp, binary: binary_ops.BinaryOp },
    /// Operand registers: 0 .. input_count-1 are the inputs, then one per instruction.
    a: u8,
    b: u8 = 0,
};

/// The program, held by value in the primitive: the result is the last instruction's.
pub const Program = struct {
    input_count: u8,
    instruction_count: u8,
    instructions: [instructions_max]Instruction,
};

/// Whether `op` maps float32 to float32 (and so can live in a float32 program).
pub fn unaryFusable(op: unary_ops.UnaryOp) bool {
    const sig = unary_ops.signature(op, .float32) orelse return false;
    return sig.compute == .float32 and sig.out == .float32 and op != .stop_gradient;
}

pub fn binaryFusable(op: binary_ops.BinaryOp) bool {
    const sig = binary_ops.signature(op, .float32) orelse return false;
    return sig.compute == .float32 and sig.out == .float32;
}

const operands_max = inputs_max + 1;

const Kernel = struct {
    program: *const Program,
    loop: strided.Loop(operands_max),
    out: [*]f32,
    inputs: [inputs_max][*]const f32,

    fn runRange(context: *const anyopaque, start: usize, end: usize) void {
        const self: *const Kernel = @ptrCast(@alignCast(context));
        // Block storage for broadcast or strided inputs and for the intermediates; an input
        // contiguous along the row is read in place, and the last instruction writes the
        // output directly.
        var storage: [inputs_max + instructions_max][block]f32 align(64) = undefined;
        var registers: [inputs_max + instructions_max][*]const f32 = undefined;
        const row_length: usize = @intCast(self.loop.rowLength());
        const n = self.program.input_count;
        const instruction_count = self.program.instruction_count;
        var index = start;
        while (index < end) {
            const row_index = index / row_length;
            const column: usize = index % row_length;
            const count = @min(row_length - column, end - index, block);
            const offsets = self.loop.rowOffsets(@intCast(row_index));
            for (0..n) |k| {
                const step = self.loop.rowStride(k + 1);
                const first = offsets[k + 1] + @as(i64, @intCast(column)) * step;
                const base = @constCast(self.inputs[k]);
                if (step == 1) {
                    registers[k] = strided.ptrAt(f32, base, first);
                } else {
                    load(&storage[k], base, first, step, count);
                    registers[k] = &storage[k];
                }
            }
            const out = strided.ptrAt(f32, self.out, offsets[0] + @as(i64, @intCast(column)));
            for (self.program.instructions[0..instruction_count], 0..) |instruction, i| {
                const target: [*]f32 = if (i + 1 == instruction_count) out else &storage[n + i];
                switch (instruction.op) {
                    .unary => |op| applyUnary(op, registers[instruction.a], target, count),
                    .binary => |op| applyBinary(op, registers[instruction.a], registers[instruction.b], target, count),
                }
                registers[n + i] = target;
            }
            index += count;
        }
    }
};

fn load(register: *[block]f32, base: [*]const f32, first: i64, step: i64, count: usize) void {
    assert(step != 1);
    if (step == 0) {
        @memset(register[0..count], strided.at(f32, @constCast(base), first).*);
    } else {
        for (0..count) |i| register[i] = strided.at(f32, @constCast(base), first + @as(i64, @intCast(i)) * step).*;
    }
}

fn applyUnary(op: unary_ops.UnaryOp, x: [*]const f32, out: [*]f32, count: usize) void {
    @setEvalBranchQuota(100_000);
    assert(count <= block);
    switch (op) {
        inline else => |o| {
            if (comptime !unaryFusableComptime(o)) unreachable;
            var i: usize = 0;
            if (comptime unary_ops.vectorizable(o, .float32)) {
                while (i + lanes <= count) : (i += lanes) {
                    const v: V = x[i..][0..lanes].*;
                    out[i..][0..lanes].* = unary_ops.apply(o, .float32, .float32, v);
                }
            }
            while (i < count) : (i += 1) out[i] = unary_ops.apply(o, .float32, .float32, x[i]);
        },
    }
}

fn applyBinary(op: binary_ops.BinaryOp, a: [*]const f32, b: [*]const f32, out: [*]f32, count: usize) void {
    @setEvalBranchQuota(100_000);
    assert(count <= block);
    switch (op) {
        inline else => |o| {
            if (comptime !binaryFusableComptime(o)) unreachable;
            var i: usize = 0;
            if (comptime binary_ops.vectorizable(o, .float32)) {
                while (i + lanes <= count) : (i += lanes) {
                    const va: V = a[i..][0..lanes].*;
                    const vb: V = b[i..][0..lanes].*;
                    out[i..][0..lanes].* = binary_ops.apply(o, .float32, .float32, va, vb);
                }
            }
            while (i < count) : (i += 1) out[i] = binary_ops.apply(o, .float32, .float32, a[i], b[i]);
        },
    }
}

fn unaryFusableComptime(comptime op: unary_ops.UnaryOp) bool {
    @setEvalBranchQuota(100_000);
    return unaryFusable(op);
}

fn binaryFusableComptime(comptime op: binary_ops.BinaryOp) bool {
    @setEvalBranchQuota(100_000);
    return binaryFusable(op);
}

/// Runs `program` into `out` (allocated, row-major float32) from its float32 inputs.
pub fn run(program: *const Program, out: *Array) void {
    const n = program.input_count;
    assert(n >= 1 and n <= inputs_max and out.inputs.len == n);
    assert(program.instruction_count >= 1 and program.instruction_count <= instructions_max);
    assert(out.dtype == .float32 and out.isRowContiguous());
    const total: usize = @intCast(out.shape.size());
    if (total == 0) return;
    var strides: [operands_max]shape_mod.Strides = undefined;
    var starts: [operands_max]i64 = @splat(0);
    for (&strides) |*s| s.* = @splat(0);
    strides[0] = out.strides;
    starts[0] = out.offset;
    var kernel: Kernel = .{ .program = program, .loop = undefined, .out = out.basePtr(f32), .inputs = undefined };
    for (0..n) |k| {
        const input = out.inputs[k];
        assert(input.dtype == .float32);
        strides[k + 1] = shape_mod.broadcastStrides(input.shape, input.strides, out.shape);
        starts[k + 1] = input.offset;
        kernel.inputs[k] = input.basePtr(f32);
    }
    for (n..inputs_max) |k| kernel.inputs[k] = kernel.inputs[0];
    kernel.loop = strided.Loop(operands_max).init(out.shape, strides, starts);
    assert(kernel.loop.rowStride(0) == 1);
    pool.parallelFor(total, simd.parallel_grain_elements, &kernel, Kernel.runRange);
}
