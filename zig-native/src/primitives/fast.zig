//! mx.fast's fused primitives: rms_norm and layer_norm (`norm`), rope, and scaled
//! dot-product attention, each one CPU kernel (backend/cpu/norm.zig, rope.zig,
//! attention.zig), with MLX's validation and dtype rules (inputs promoted to one floating
//! type; float32 arithmetic inside). Their vjps are kernels too: the norms' backward, the
//! inverse rotation, and attention's backward, which recomputes the probabilities and fills
//! one packed node that the three cotangents are views of.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const shape_mod = @import("../shape.zig");
const Shape = shape_mod.Shape;
const dtype_mod = @import("../dtype.zig");
const DType = dtype_mod.DType;
const Array = @import("../array.zig").Array;
const astype = @import("astype.zig");
const binary = @import("binary.zig");
const reduce = @import("reduce.zig");
const view = @import("view.zig");
const grad_ops = @import("../transforms/grad_ops.zig");
const norm_cpu = @import("../backend/cpu/norm.zig");
const rope_cpu = @import("../backend/cpu/rope.zig");
const attention_cpu = @import("../backend/cpu/attention.zig");
const attention_tiled_cpu = @import("../backend/cpu/attention_tiled.zig");

pub const NormKind = norm_cpu.Kind;

pub const NormPart = enum(u8) { forward, dx, weight_rows };

pub const NormParams = struct {
    kind: NormKind,
    eps: f32,
    has_weight: bool,
    has_bias: bool,
    part: NormPart = .forward,
};

pub const RopeParams = struct {
    dims: u32,
    traditional: bool,
    /// Rotates by the negated angles (the vjp).
    inverse: bool = false,
    base: f32,
    scale: f32,
    /// The first position when there is no offset input.
    offset: i32,
    /// Inputs after x: a scalar int32 offset, then the float32 periods.
    offset_input: bool,
    freqs_input: bool,
    /// The terms of the periods' cotangent instead of the rotation (its last input is the
    /// output's cotangent).
    freqs_rows: bool = false,
};

pub const MaskKind = enum(u8) { none, causal, boolean, additive };

pub const AttentionParams = struct {
    scale: f32,
    mask: MaskKind,
};

fn checkFloat(op: []const u8, name: []const u8, a: *const Array) errors.Error!void {
    if (!a.dtype.isFloating() or a.dtype.isComplex()) {
        return errors.fail(error.DTypeMismatch, "[{s}] {s} must be a real floating type; got {s}", .{ op, name, a.dtype.name() });
    }
}

fn checkKernelDtype(op: []const u8, dtype: DType) errors.Error!void {
    if (dtype == .float64) {
        return errors.fail(error.Unsupported, "[{s}] float64 has no CPU kernel; use float32, float16 or bfloat16", .{op});
    }
}

fn lastDim(a: *const Array) i32 {
    return a.shape.dims[a.shape.ndim - 1];
}

/// Owned references released together.
const Owned = struct {
    items: [8]*Array = undefined,
    len: usize = 0,

    fn add(self: *Owned, a: *Array) *Array {
        assert(self.len < self.items.len);
        self.items[self.len] = a;
        self.len += 1;
        return a;
    }

    fn release(self: *Owned) void {
        for (self.items[0..self.len]) |a| a.release();
        self.len = 0;
    }
};

// ---------------------------------------------------------------------------------------------
// Norms

/// Records rms_norm (bias null) or layer_norm of `x` over its last axis.
pub fn createNorm(kind: NormKind, x: *Array, weight: ?*Array, bias: ?*Array, eps: f32) errors.Error!*Array {
    const op = if (kind == .rms) "rms_norm" else "layer_norm";
    assert(kind == .layer or bias == null);
    try checkFloat(op, "x", x);
    if (x.shape.ndim == 0) return errors.fail(error.InvalidArgument, "[{s}] x must have at least one axis", .{op});
    var dtype = x.dtype;
    for ([_]?*Array{ weight, bias }, [_][]const u8{ "weight", "bias" }) |maybe, name| {
        const p = maybe orelse continue;
        try checkFloat(op, name, p);
        if (p.shape.ndim != 1 or p.shape.dims[0] != lastDim(x)) {
            return errors.fail(error.ShapeMismatch, "[{s}] {s} must have shape ({d}) (the last axis of x, {f}); got {f}", .{ op, name, lastDim(x), x.shape, p.shape });
        }
        dtype = dtype_mod.promote(dtype, p.dtype);
    }
    try checkKernelDtype(op, dtype);
    if (!std.math.isFinite(eps) or eps < 0) {
        return errors.fail(error.InvalidArgument, "[{s}] eps must be finite and at least 0; got {d}", .{ op, eps });
    }
    var owned: Owned = .{};
    defer owned.release();
    var inputs: [3]*Array = undefined;
    var count: usize = 0;
    for ([_]?*Array{ x, weight, bias }) |maybe| {
        const a = maybe orelse continue;
        inputs[count] = owned.add(try astype.create(a, dtype));
        count += 1;
    }
    return Array.createLazy(dtype, x.shape, .{ .norm = .{ .kind = kind, .eps = eps,
        .has_weight = weight != null, .has_bias = bias != null } }, inputs[0..count]);
}

pub fn evalNorm(params: NormParams, out: *Array) errors.Error!void {
    var owned: Owned = .{};
    defer owned.release();
    var inputs: [3]*Array = undefined;
    for (out.inputs, 0..) |input, i| inputs[i] = owned.add(try astype.rowMajor(input));
    try out.allocateOutput();
    const x = inputs[0];
    const dim: usize = @intCast(lastDim(x));
    const size: usize = @intCast(x.shape.size());
    if (size == 0) return;
    const rows = size / dim;
    switch (x.dtype) {
        inline .float32, .float16, .bfloat16 => |tag| {
            const T = dtype_mod.Storage(tag);
            const weight: ?[*]const T = if (params.has_weight) inputs[1].dataPtr(T) else null;
            switch (params.part) {
                .forward => {
                    const bias: ?[*]const T = if (params.has_bias) inputs[out.inputs.len - 1].dataPtr(T) else null;
                    (norm_cpu.Forward(T){ .kind = params.kind, .x = x.dataPtr(T), .weight = weight, .bias = bias,
                        .out = out.dataPtr(T), .rows = rows, .dim = dim, .eps = params.eps }).run();
                },
                .dx, .weight_rows => {
                    const g = inputs[out.inputs.len - 1];
                    (norm_cpu.Backward(T){ .kind = params.kind, .part = if (params.part == .dx) .dx else .weight_rows,
                        .x = x.dataPtr(T), .weight = weight, .g = g.dataPtr(T), .out = out.dataPtr(u8), .rows = rows,
                        .dim = dim, .eps = params.eps }).run();
                },
            }
        },
        else => unreachable,
    }
}

/// Sums `a` over every axis but the last, in `dtype`.
fn sumRows(a: *Array, dtype: DType) errors.Error!*Array {
    if (a.shape.ndim == 1) return astype.create(a, dtype);
    var axes: [shape_mod.ndim_max]i32 = undefined;
    for (0..a.shape.ndim - 1) |i| axes[i] = @intCast(i);
    const sum = try reduce.create(.sum, a, axes[0 .. a.shape.ndim - 1], false);
    defer sum.release();
    return astype.create(sum, dtype);
}

pub fn vjpNorm(params: NormParams, node: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    const op = if (params.kind == .rms) "rms_norm" else "layer_norm";
    if (params.part != .forward) {
        return errors.fail(error.Unsupported, "[vjp] the second derivative of {s} is not implemented", .{op});
    }
    const x = node.inputs[0];
    const g = try astype.create(cotangent, node.dtype);
    defer g.release();
    const bias_index: usize = if (params.has_weight) 2 else 1;
    if (params.has_bias and argnum == bias_index) return try sumRows(g, node.inputs[argnum].dtype);
    var inputs: [3]*Array = undefined;
    var count: usize = 0;
    inputs[count] = x;
    count += 1;
    if (params.has_weight) {
        inputs[count] = node.inputs[1];
        count += 1;
    }
    inputs[count] = g;
    count += 1;
    var backward = params;
    backward.has_bias = false;
    if (argnum == 0) {
        backward.part = .dx;
        return try Array.createLazy(node.dtype, x.shape, .{ .norm = backward }, inputs[0..count]);
    }
    assert(params.has_weight and argnum == 1);
    backward.part = .weight_rows;
    const rows = try Array.createLazy(.float32, x.shape, .{ .norm = backward }, inputs[0..count]);
    defer rows.release();
    return try sumRows(rows, node.inputs[1].dtype);
}

// ---------------------------------------------------------------------------------------------
// RoPE

pub const RopeOptions = struct {
    dims: i32,
    traditional: bool,
    base: f32,
    scale: f32,
    offset: i32,
    offset_array: ?*Array,
    freqs: ?*Array,
};

/// Records rope over the last two axes of `x` ([..., L, D]).
pub fn createRope(x: *Array, options: RopeOptions) errors.Error!*Array {
    const op = "rope";
    try checkFloat(op, "x", x);
    try checkKernelDtype(op, x.dtype);
    if (x.shape.ndim < 2) {
        return errors.fail(error.InvalidArgument, "[{s}] x must have at least 2 axes ([..., length, dims]); got {f}", .{ op, x.shape });
    }
    const d = lastDim(x);
    if (options.dims <= 0 or @mod(options.dims, 2) != 0 or options.dims > d) {
        return errors.fail(error.InvalidArgument, "[{s}] dims must be a positive even integer at most {d}; got {d}", .{ op, d, options.dims });
    }
    const half = @divExact(options.dims, 2);
    if (options.freqs == null and (!std.math.isFinite(options.base) or options.base <= 0)) {
        return errors.fail(error.InvalidArgument, "[{s}] base must be finite and positive; got {d}", .{ op, options.base });
    }
    if (!std.math.isFinite(options.scale)) {
        return errors.fail(error.InvalidArgument, "[{s}] scale must be finite; got {d}", .{ op, options.scale });
    }
    var owned: Owned = .{};
    defer owned.release();
    var inputs: [3]*Array = undefined;
    var count: usize = 1;
    inputs[0] = x;
    if (options.offset_array) |offset| {
        if (offset.shape.size() != 1 or offset.dtype.isFloating() or offset.dtype == .bool_) {
            return errors.fail(error.InvalidArgument, "[{s}] offset must be one integer; got {s} {f}", .{ op, offset.dtype.name(), offset.shape });
        }
        const cast = owned.add(try astype.create(offset, .int32));
        inputs[count] = owned.add(try view.createReshape(cast, .{}));
        count += 1;
    }
    if (options.freqs) |freqs| {
        try checkFloat(op, "freqs", freqs);
        if (freqs.shape.ndim != 1 or freqs.shape.dims[0] != half) {
            return errors.fail(error.ShapeMismatch, "[{s}] freqs must have shape ({d}); got {f}", .{ op, half, freqs.shape });
        }
        inputs[count] = owned.add(try astype.create(freqs, .float32));
        count += 1;
    }
    return Array.createLazy(x.dtype, x.shape, .{ .rope = .{ .dims = @intCast(options.dims), .traditional = options.traditional,
        .base = options.base, .scale = options.scale, .offset = options.offset,
        .offset_input = options.offset_array != null, .freqs_input = options.freqs != null } }, inputs[0..count]);
}

pub fn evalRope(params: RopeParams, out: *Array) errors.Error!void {
    var owned: Owned = .{};
    defer owned.release();
    const x = owned.add(try astype.rowMajor(out.inputs[0]));
    var next: usize = 1;
    var offset: i64 = params.offset;
    if (params.offset_input) {
        const o = owned.add(try astype.rowMajor(out.inputs[next]));
        offset = o.dataPtr(i32)[0];
        next += 1;
    }
    var frequencies: rope_cpu.Frequencies = .{ .base = params.base };
    if (params.freqs_input) {
        const f = owned.add(try astype.rowMajor(out.inputs[next]));
        frequencies = .{ .periods = f.dataPtr(f32) };
        next += 1;
    }
    const g: ?*Array = if (params.freqs_rows) owned.add(try astype.rowMajor(out.inputs[next])) else null;
    try out.allocateOutput();
    const dim: usize = @intCast(lastDim(x));
    const length: usize = @intCast(x.shape.dims[x.shape.ndim - 2]);
    const size: usize = @intCast(x.shape.size());
    if (size == 0) return;
    switch (x.dtype) {
        inline .float32, .float16, .bfloat16 => |tag| {
            const T = dtype_mod.Storage(tag);
            var problem: rope_cpu.Problem(T) = .{ .x = x.dataPtr(T), .out = undefined, .batch = size / (dim * length),
                .length = length, .dim = dim, .dims = params.dims, .traditional = params.traditional,
                .inverse = params.inverse, .offset = offset, .scale = params.scale, .frequencies = frequencies };
            if (g) |cot| {
                problem.freqs_grad = .{ .g = cot.dataPtr(T), .freqs_rows = out.dataPtr(f32) };
            } else {
                problem.out = out.dataPtr(T);
            }
            try rope_cpu.run(T, &problem);
        },
        else => unreachable,
    }
}

pub fn vjpRope(params: RopeParams, node: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    if (params.freqs_rows) {
        return errors.fail(error.Unsupported, "[vjp] the second derivative of rope with respect to freqs is not implemented", .{});
    }
    const offset_index: usize = 1;
    const freqs_index: usize = if (params.offset_input) 2 else 1;
    if (params.offset_input and argnum == offset_index) return null;
    const g = try astype.create(cotangent, node.dtype);
    defer g.release();
    if (argnum == 0) {
        var inverse = params;
        inverse.inverse = !params.inverse;
        var inputs: [3]*Array = undefined;
        @memcpy(inputs[0..node.inputs.len], node.inputs);
        inputs[0] = g;
        return try Array.createLazy(node.dtype, node.shape, .{ .rope = inverse }, inputs[0..node.inputs.len]);
    }
    assert(params.freqs_input and argnum == freqs_index);
    // θ = position / f: dθ/df = -θ / f = -position / f².
    var terms_params = params;
    terms_params.freqs_rows = true;
    var inputs: [4]*Array = undefined;
    @memcpy(inputs[0..node.inputs.len], node.inputs);
    inputs[node.inputs.len] = g;
    const dims: usize = params.dims;
    const size: i64 = node.shape.size();
    const rows: i32 = @intCast(@divExact(size, lastDim(node)));
    const terms = try Array.createLazy(.float32, try Shape.init(&.{ rows, @intCast(dims / 2) }), .{ .rope = terms_params }, inputs[0 .. node.inputs.len + 1]);
    defer terms.release();
    const summed = try sumRows(terms, .float32);
    defer summed.release();
    const freqs = node.inputs[freqs_index];
    const squared = try binary.create(.multiply, freqs, freqs);
    defer squared.release();
    const quotient = try binary.create(.divide, summed, squared);
    defer quotient.release();
    return try grad_ops.scale(quotient, -1);
}

// ---------------------------------------------------------------------------------------------
// Scaled dot-product attention

/// Records softmax(scale q kᵀ + mask) v for q [B, H, L, D] and k, v [B, Hkv, S, D]; `mask` is
/// broadcast to [B, H, L, S] (boolean: true attends; otherwise added to the scores).
pub fn createAttention(q: *Array, k: *Array, v: *Array, scale: f32, causal: bool, mask: ?*Array) errors.Error!*Array {
    const op = "scaled_dot_product_attention";
    assert(!(causal and mask != null));
    for ([_]*Array{ q, k, v }, [_][]const u8{ "queries", "keys", "values" }) |a, name| {
        try checkFloat(op, name, a);
        if (a.shape.ndim != 4) {
            return errors.fail(error.InvalidArgument, "[{s}] {s} must be (batch, heads, length, dims); got {f}", .{ op, name, a.shape });
        }
    }
    const b = q.shape.dims[0];
    const heads = q.shape.dims[1];
    const length = q.shape.dims[2];
    const dim = q.shape.dims[3];
    const kv_heads = k.shape.dims[1];
    const keys = k.shape.dims[2];
    if (k.shape.dims[0] != b or k.shape.dims[3] != dim or !v.shape.eql(k.shape)) {
        return errors.fail(error.ShapeMismatch, "[{s}] queries {f}, keys {f} and values {f} do not fit (keys and values must share a shape; batch and dims must match the queries)", .{ op, q.shape, k.shape, v.shape });
    }
    if (kv_heads == 0 or @mod(heads, kv_heads) != 0) {
        return errors.fail(error.ShapeMismatch, "[{s}] {d} query heads are not a multiple of {d} key heads", .{ op, heads, kv_heads });
    }
    if (dim > attention_cpu.head_dim_max) {
        return errors.fail(error.Unsupported, "[{s}] heads of {d} dims; the CPU kernel takes at most {d}", .{ op, dim, attention_cpu.head_dim_max });
    }
    if (!std.math.isFinite(scale)) return errors.fail(error.InvalidArgument, "[{s}] scale must be finite; got {d}", .{ op, scale });
    const dtype = dtype_mod.promote(dtype_mod.promote(q.dtype, k.dtype), v.dtype);
    try checkKernelDtype(op, dtype);
    var owned: Owned = .{};
    defer owned.release();
    var inputs: [4]*Array = undefined;
    for ([_]*Array{ q, k, v }, 0..) |a, i| inputs[i] = owned.add(try astype.create(a, dtype));
    var kind: MaskKind = if (causal) .causal else .none;
    if (mask) |m| {
        const scores = try Shape.init(&.{ b, heads, length, keys });
        if (m.shape.ndim > 4) {
            return errors.fail(error.InvalidArgument, "[{s}] the mask must have at most 4 axes; got {f}", .{ op, m.shape });
        }
        var fits = m.shape.ndim <= 4;
        for (0..m.shape.ndim) |i| {
            const mask_dim = m.shape.dims[m.shape.ndim - 1 - i];
            fits = fits and (mask_dim == 1 or mask_dim == scores.dims[3 - i]);
        }
        if (!fits) {
            return errors.fail(error.ShapeMismatch, "[{s}] the mask of shape {f} does not broadcast to the scores {f}", .{ op, m.shape, scores });
        }
        if (m.dtype == .bool_) {
            kind = .boolean;
            inputs[3] = owned.add(try view.createBroadcastTo(m, scores));
        } else {
            try checkFloat(op, "mask", m);
            kind = .additive;
            const cast = owned.add(try astype.create(m, .float32));
            inputs[3] = owned.add(try view.createBroadcastTo(cast, scores));
        }
    }
    const count: usize = if (mask != null) 4 else 3;
    return Array.createLazy(dtype, q.shape, .{ .attention = .{ .scale = scale, .mask = kind } }, inputs[0..count]);
}

/// `input` with a contiguous last axis (itself, or a row-major copy).
fn rowsContiguous(input: *Array) errors.Error!*Array {
    if (input.strides[input.shape.ndim - 1] == 1 or input.shape.dims[input.shape.ndim - 1] <= 1) {
        input.retain();
        return input;
    }
    return astype.rowMajor(input);
}

fn operand(comptime T: type, a: *const Array) attention_cpu.Operand(T) {
    return .{ .base = a.basePtr(T), .offset = a.offset, .strides = a.strides[0..3].* };
}

fn maskOf(kind: MaskKind, m: ?*const Array) attention_cpu.Mask {
    return switch (kind) {
        .none => .none,
        .causal => .causal,
        .boolean => .{ .boolean = .{ .base = m.?.basePtr(u8), .offset = m.?.offset, .strides = m.?.strides[0..4].* } },
        .additive => .{ .additive = .{ .base = m.?.basePtr(f32), .offset = m.?.offset, .strides = m.?.strides[0..4].* } },
    };
}

fn problemOf(comptime T: type, params: AttentionParams, q: *const Array, k: *const Array, v: *const Array, m: ?*const Array) attention_cpu.Problem(T) {
    return .{ .q = operand(T, q), .k = operand(T, k), .v = operand(T, v), .mask = maskOf(params.mask, m),
        .batch = @intCast(q.shape.dims[0]), .heads = @intCast(q.shape.dims[1]), .kv_heads = @intCast(k.shape.dims[1]),
        .length = @intCast(q.shape.dims[2]), .keys = @intCast(k.shape.dims[2]), .dim = @intCast(q.shape.dims[3]), .scale = params.scale };
}

/// attention: inputs q, k, v [, mask]. attention_vjp: q, k, v, output, cotangent [, mask].
pub fn evalAttention(params: AttentionParams, out: *Array, backward: bool) errors.Error!void {
    var owned: Owned = .{};
    defer owned.release();
    const q = owned.add(try rowsContiguous(out.inputs[0]));
    const k = owned.add(try rowsContiguous(out.inputs[1]));
    const v = owned.add(try rowsContiguous(out.inputs[2]));
    const mask_index: usize = if (backward) 5 else 3;
    const m: ?*Array = if (out.inputs.len > mask_index) out.inputs[mask_index] else null;
    try out.allocateOutput();
    if (out.shape.size() == 0) return;
    switch (q.dtype) {
        inline .float32, .float16, .bfloat16 => |tag| {
            const T = dtype_mod.Storage(tag);
            const problem = problemOf(T, params, q, k, v, m);
            if (backward) {
                const o = owned.add(try astype.rowMajor(out.inputs[3]));
                const g = owned.add(try astype.rowMajor(out.inputs[4]));
                (attention_cpu.Backward(T){ .problem = &problem, .o = o.dataPtr(T), .g = g.dataPtr(T), .out = out.dataPtr(f32) }).run();
            } else {
                if (problem.length >= attention_tiled_cpu.rows_min) {
                    var forward: attention_tiled_cpu.Forward(T) = .{ .problem = &problem, .out = out.dataPtr(T) };
                    try forward.run();
                } else {
                    (attention_cpu.Forward(T){ .problem = &problem, .out = out.dataPtr(T) }).run();
                }
            }
        },
        else => unreachable,
    }
}

/// The packed cotangents of the last attention node asked for (the walk asks for q, k and v
/// in turn with the same cotangent); `forgetVjp` drops it when the walk moves on.
var memo: struct { node: ?*Array = null, cotangent: ?*Array = null, grads: ?*Array = null } = .{};

pub fn forgetVjp() void {
    inline for (.{ &memo.node, &memo.cotangent, &memo.grads }) |slot| {
        if (slot.*) |a| a.release();
        slot.* = null;
    }
}

pub fn vjpAttention(params: AttentionParams, node: *Array, cotangent: *Array, argnum: usize) errors.Error!?*Array {
    if (argnum == 3) {
        return errors.fail(error.Unsupported, "[vjp] scaled_dot_product_attention has no gradient with respect to the mask", .{});
    }
    assert(argnum < 3);
    if (memo.node != node or memo.cotangent != cotangent) {
        forgetVjp();
        const g = try astype.create(cotangent, node.dtype);
        defer g.release();
        var inputs: [6]*Array = .{ node.inputs[0], node.inputs[1], node.inputs[2], node, g, undefined };
        var count: usize = 5;
        if (node.inputs.len > 3) {
            inputs[5] = node.inputs[3];
            count = 6;
        }
        var total: i64 = 0;
        for (node.inputs[0..3]) |a| total += a.shape.size();
        const grads = try Array.createLazy(.float32, try Shape.init(&.{@intCast(total)}), .{ .attention_vjp = params }, inputs[0..count]);
        node.retain();
        cotangent.retain();
        memo = .{ .node = node, .cotangent = cotangent, .grads = grads };
    }
    var start: i64 = 0;
    for (node.inputs[0..argnum]) |a| start += a.shape.size();
    const input = node.inputs[argnum];
    const part = try view.createSlice(memo.grads.?, &.{@intCast(start)}, &.{@intCast(input.shape.size())}, &.{1});
    defer part.release();
    const shaped = try view.createReshape(part, input.shape);
    defer shaped.release();
    return try astype.create(shaped, input.dtype);
}
