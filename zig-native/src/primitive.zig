//! The primitives: what a lazy node computes. Each primitive family keeps its rules in one
//! file under `primitives/` (validation, output shape and dtype, CPU dispatch; the derivative
//! rules join them there). This file is the tagged union and the dispatch table.

const std = @import("std");
const errors = @import("errors.zig");
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
const sort = @import("primitives/sort.zig");
const matmul = @import("primitives/matmul.zig");
const random = @import("primitives/random.zig");
const linalg = @import("primitives/linalg.zig");
const conv = @import("primitives/conv.zig");
const fft = @import("primitives/fft.zig");
const decompositions = @import("primitives/decompositions.zig");
const fused = @import("primitives/fused.zig");
const custom = @import("primitives/custom.zig");
const as_strided = @import("primitives/as_strided.zig");
const quantized = @import("primitives/quantized.zig");
const fast = @import("primitives/fast.zig");
const compile = @import("transforms/compile.zig");

pub const Primitive = union(enum) {
    /// Not computed by a primitive: a leaf, or a node already evaluated and detached.
    none,
    astype,
    /// A row-major copy (same dtype).
    copy,
    transpose: view.Permutation,
    broadcast_to,
    slice: view.SliceParams,
    reshape,
    /// A copy with one strided block replaced (MLX's SliceUpdate; slice's derivative).
    slice_update: view.SliceParams,
    concatenate: join.ConcatParams,
    arange: creation.Arange,
    gather,
    scatter: indexing.ScatterParams,
    unary: unary.Op,
    binary: binary.Op,
    where,
    reduce: reduce.Params,
    arg_reduce: reduce.ArgParams,
    scan: reduce.ScanParams,
    sort: sort.Params,
    matmul,
    random_bits: random.Params,
    inverse: linalg.InverseParams,
    cholesky: linalg.CholeskyParams,
    /// MLX's LUF, its three outputs packed into one (see primitives/linalg.zig).
    lu_factor,
    convolution: conv.Params,
    /// A convolution's weight gradient (see primitives/conv.zig).
    conv_weight_grad: conv.Params,
    fft: fft.Params,
    /// qr, svd, eigh, eig: every output in one flat buffer (see decompositions.zig).
    decomposition: decompositions.Params,
    /// A float32 elementwise program made by `compile` (see primitives/fused.zig).
    fused: fused.Program,
    /// An output of a custom function: its value is its last input, its vjp the user's
    /// (see primitives/custom.zig).
    custom: custom.Params,
    /// A view of the flattened input with any shape, strides and offset (MLX's AsStrided).
    as_strided: as_strided.Params,
    /// One output of MLX's quantize: the codes, the scales or the biases (params.part).
    quantize: quantized.Params,
    dequantize: quantized.Params,
    quantized_matmul: quantized.Params,
    /// mx.fast's rms_norm / layer_norm, or a part of their backward (see primitives/fast.zig).
    norm: fast.NormParams,
    rope: fast.RopeParams,
    attention: fast.AttentionParams,
    /// Attention's backward: the cotangents of q, k and v packed into one float32 vector.
    attention_vjp: fast.AttentionParams,

    pub fn name(self: Primitive) []const u8 {
        return @tagName(self);
    }
};

/// Runs the CPU kernel of `out.primitive`; `out` has no buffer yet and its inputs are
/// evaluated.
pub fn evalCpu(out: *Array) errors.Error!void {
    switch (out.primitive) {
        .none => unreachable,
        .astype, .copy => try astype.evalCpu(out),
        .transpose => |permutation| view.evalTranspose(permutation, out),
        .broadcast_to => view.evalBroadcastTo(out),
        .slice => |params| view.evalSlice(params, out),
        .reshape => try view.evalReshape(out),
        .slice_update => |params| try indexing.evalSliceUpdate(params, out),
        .concatenate => |params| try join.evalCpu(params, out),
        .arange => |params| try creation.evalArange(params, out),
        .gather => try indexing.evalGather(out),
        .scatter => |params| try indexing.evalScatter(params, out),
        .unary => |op| try unary.evalCpu(op, out),
        .binary => |op| try binary.evalCpu(op, out),
        .where => try ternary.evalWhereCpu(out),
        .reduce => |params| try reduce.evalCpu(params, out),
        .arg_reduce => |params| try reduce.evalArgCpu(params, out),
        .scan => |params| try reduce.evalScanCpu(params, out),
        .sort => |params| try sort.evalCpu(params, out),
        .matmul => try matmul.evalCpu(out),
        .random_bits => |params| try random.evalCpu(params, out),
        .inverse => |params| try linalg.evalInverse(params, out),
        .cholesky => |params| try linalg.evalCholesky(params, out),
        .lu_factor => try linalg.evalLuFactor(out),
        .convolution => |params| try conv.evalCpu(params, out),
        .conv_weight_grad => |params| try conv.evalWeightGrad(params, out),
        .fft => |params| try fft.evalCpu(params, out),
        .decomposition => |params| try decompositions.evalCpu(params, out),
        .fused => |*program| try fused.evalCpu(program, out),
        .custom => |params| custom.evalCpu(params, out),
        .as_strided => |params| as_strided.evalCpu(params, out),
        .quantize => |params| try quantized.evalQuantize(params, out),
        .dequantize => |params| try quantized.evalDequantize(params, out),
        .quantized_matmul => |params| try quantized.evalMatmul(params, out),
        .norm => |params| try fast.evalNorm(params, out),
        .rope => |params| try fast.evalRope(params, out),
        .attention => |params| try fast.evalAttention(params, out, false),
        .attention_vjp => |params| try fast.evalAttention(params, out, true),
    }
}

/// The cotangent of input `argnum` of `node` given the cotangent of its output (a new lazy
/// array), or null when that input gets no gradient from this primitive.
pub fn vjp(node: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    return switch (node.primitive) {
        .none => unreachable,
        .astype, .copy => try astype.vjp(node, cotangent),
        .transpose => |permutation| try view.vjpTranspose(permutation, node, cotangent),
        .broadcast_to => try view.vjpBroadcastTo(node, cotangent),
        .reshape => try view.vjpReshape(node, cotangent),
        .unary => |op| try unary.vjp(op, node, cotangent),
        .binary => |op| try binary.vjp(op, node, cotangent, argnum),
        .reduce => |params| try reduce.vjp(params, node, cotangent),
        .scan => |params| try reduce.vjpScan(params, node, cotangent),
        .sort => |params| try sort.vjp(params, node, cotangent),
        .matmul => try matmul.vjp(node, cotangent, argnum),
        .slice => |params| try view.vjpSlice(params, node, cotangent),
        .slice_update => |params| try indexing.vjpSliceUpdate(params, node, cotangent, argnum),
        .gather => try indexing.vjpGather(node, cotangent, argnum),
        .scatter => |params| try indexing.vjpScatter(params, node, cotangent, argnum),
        .concatenate => |params| try join.vjp(params, node, cotangent, argnum),
        .where => try ternary.vjpWhere(node, cotangent, argnum),
        .custom => |params| try custom.vjp(params, node, cotangent, argnum),
        .as_strided => |params| try as_strided.vjp(params, node, cotangent),
        .convolution => |params| try conv.vjp(params, node, cotangent, argnum),
        .conv_weight_grad => |params| try conv.vjpWeightGrad(params, node, cotangent, argnum),
        .fft => |params| try fft.vjp(params, node, cotangent),
        .inverse => |params| try linalg.vjpInverse(params, node, cotangent),
        .cholesky, .lu_factor => errors.fail(error.Unsupported, "[vjp] the derivative of {s} is " ++
            "not defined (MLX has none)", .{node.primitive.name()}),
        .decomposition => |params| errors.fail(error.Unsupported, "[vjp] the derivative of {s} " ++
            "is not defined (MLX has none)", .{@tagName(params.kind)}),
        .quantized_matmul => |params| try quantized.vjpMatmul(params, node, cotangent, argnum),
        .norm => |params| try fast.vjpNorm(params, node, cotangent, argnum),
        .rope => |params| try fast.vjpRope(params, node, cotangent, argnum),
        .attention => |params| try fast.vjpAttention(params, node, cotangent, argnum),
        .attention_vjp => errors.fail(error.Unsupported, "[vjp] the second derivative of " ++
            "scaled_dot_product_attention is not implemented", .{}),
        .quantize, .dequantize => errors.fail(error.Unsupported, "[vjp] the derivative of {s} " ++
            "is not defined (MLX has none)", .{node.primitive.name()}),
        .arg_reduce, .random_bits, .arange => null,
        // compile replays its plain steps, never fused ones, for traced inputs.
        .fused => errors.fail(error.Unsupported, "[vjp] a fused kernel has no derivative; " ++
            "compile differentiates its unfused steps", .{}),
    };
}

/// The walk is done with a node's rules (they may keep work for its other inputs until now).
pub fn vjpDone() void {
    fast.forgetVjp();
}

/// A node with `primitive` holds what the primitive names (custom functions' programs).
pub fn retainResources(primitive: Primitive) void {
    compile.retainResources(primitive);
}

pub fn releaseResources(primitive: Primitive) void {
    compile.releaseResources(primitive);
}
