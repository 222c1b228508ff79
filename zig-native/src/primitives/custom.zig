//! Outputs of custom functions (`mx.customFunction`, `mx.checkpoint`). A custom output's
//! inputs are the function's primals and then its computed output (its value: the node is a
//! view of it); its vjp is the user's, captured when the function ran on tracers as a program
//! over placeholder cotangents (transforms/compile.zig) and replayed with the real ones.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const shape_mod = @import("../shape.zig");
const Array = @import("../array.zig").Array;
const compile = @import("../transforms/compile.zig");
const grad_ops = @import("../transforms/grad_ops.zig");

pub const Params = struct {
    /// The vjp program: inputs are one cotangent per output, outputs one gradient per primal.
    program: u32,
    output_index: u32,
    primal_count: u32,
};

/// At most this many primals and outputs per custom function.
pub const arity_max = 64;

/// Records output `output_index` of a custom function over `primals` whose value is `output`.
pub fn create(program: u32, output_index: u32, primals: []const *Array, output: *Array) errors.Error!*Array {
    if (primals.len > arity_max) {
        return errors.fail(error.InvalidArgument, "[custom_function] {d} arguments; at most {d}", .{ primals.len, arity_max });
    }
    const outputs = try compile.inputCount(program);
    if (output_index >= outputs) {
        return errors.fail(error.InvalidArgument, "[custom_function] output {d} of {d}", .{ output_index, outputs });
    }
    const spec = try compile.inputSpec(program, output_index);
    if (spec.dtype != output.dtype or !spec.shape.eql(output.shape)) {
        return errors.fail(error.ShapeMismatch, "[custom_function] output {d} is {s} {f}; its " ++
            "cotangent was traced as {s} {f}", .{ output_index, output.dtype.name(), output.shape,
            spec.dtype.name(), spec.shape });
    }
    var inputs: [arity_max + 1]*Array = undefined;
    @memcpy(inputs[0..primals.len], primals);
    inputs[primals.len] = output;
    return Array.createLazy(output.dtype, output.shape, .{ .custom = .{
        .program = program,
        .output_index = output_index,
        .primal_count = @intCast(primals.len),
    } }, inputs[0 .. primals.len + 1]);
}

/// The value: a view of the computed output.
pub fn evalCpu(params: Params, out: *Array) void {
    const value = out.inputs[params.primal_count];
    assert(value.isEvaluated());
    value.buffer.?.retain();
    out.buffer = value.buffer;
    out.offset = value.offset;
    out.strides = value.strides;
}

/// The user's vjp for primal `argnum`: the program replayed with this output's cotangent and
/// zeros for the other outputs (the vjp is linear in the cotangents, so the walk's sum over
/// outputs is the whole vjp). The computed output gets no gradient.
pub fn vjp(params: Params, node: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    if (argnum >= params.primal_count) return null;
    const count = try compile.inputCount(params.program);
    var cotangents: [arity_max]*Array = undefined;
    var made: usize = 0;
    defer for (cotangents[0..made]) |c| c.release();
    for (0..count) |k| {
        if (k == params.output_index) {
            cotangent.retain();
            cotangents[k] = cotangent;
        } else {
            const spec = try compile.inputSpec(params.program, k);
            cotangents[k] = try grad_ops.zeros(spec.dtype, spec.shape);
        }
        made += 1;
    }
    var grads: [arity_max]*Array = undefined;
    try compile.run(params.program, cotangents[0..count], grads[0..params.primal_count]);
    defer for (grads[0..params.primal_count], 0..) |g, k| if (k != argnum) g.release();
    const grad = grads[argnum];
    const primal = node.inputs[argnum];
    if (!grad.shape.eql(primal.shape)) {
        defer grad.release();
        return errors.fail(error.ShapeMismatch, "[custom_function] the vjp gave a gradient of " ++
            "shape {f} for argument {d} of shape {f}", .{ grad.shape, argnum, primal.shape });
    }
    return grad;
}
