//! The matrix decompositions of MLX's linalg: QRF (qr), SVD (svd, and its values only), Eigh
//! (eigh, eigvalsh) and Eig (eig, eigvals). Each works on the last two axes, batched over the
//! rest. MLX's primitives have several outputs; here one node (the `decomposition` primitive)
//! computes all of them into one flat buffer, output after output (each over the whole
//! batch), and the arrays returned are reshaped slices of it, so they are views that share
//! the computation. Kernels compute in float64 (householder.zig, svd.zig, eigh.zig, eig.zig).
//! pinv is composed in TypeScript from svd.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("../errors.zig");
const memory = @import("../memory.zig");
const shape_mod = @import("../shape.zig");
const dtype_mod = @import("../dtype.zig");
const Array = @import("../array.zig").Array;
const Primitive = @import("../primitive.zig").Primitive;
const view = @import("view.zig");
const unary = @import("unary.zig");
const pool = @import("../backend/cpu/pool.zig");
const householder = @import("../backend/cpu/householder.zig");
const svd_kernel = @import("../backend/cpu/svd.zig");
const eigh_kernel = @import("../backend/cpu/eigh.zig");
const eig_kernel = @import("../backend/cpu/eig.zig");

const Shape = shape_mod.Shape;
const Complex64 = dtype_mod.Complex64;

/// Which decomposition (the op codes of the `linalg_decompose` export, in this order).
pub const Kind = enum(u8) {
    qr,
    svd,
    /// svd with compute_uv = false: the singular values only.
    svd_values,
    eigh,
    eigvalsh,
    eig,
    eigvals,

    fn opName(self: Kind) []const u8 {
        return switch (self) {
            .svd_values => "[linalg.svd]",
            inline else => |kind| "[linalg." ++ @tagName(kind) ++ "]",
        };
    }
};

pub const Params = struct {
    kind: Kind,
    /// eigh / eigvalsh: read the upper triangle (UPLO = "U") instead of the lower.
    upper: bool,
};

/// The most outputs a decomposition has (svd: U, S, Vt).
pub const outputs_max = 3;

/// The outputs of one matrix (m x n input): element count and trailing dims of each.
const Layout = struct {
    count: usize,
    sizes: [outputs_max]usize,
    dims: [outputs_max][2]i32,
    /// Trailing dims of each output (1 for vectors, 2 for matrices).
    ndims: [outputs_max]u8,
};

fn layout(kind: Kind, m: usize, n: usize) Layout {
    const k = @min(m, n);
    const mi: i32 = @intCast(m);
    const ni: i32 = @intCast(n);
    const ki: i32 = @intCast(k);
    const none = [2]i32{ 0, 0 };
    return switch (kind) {
        .qr => .{
            .count = 2,
            .sizes = .{ m * k, k * n, 0 },
            .dims = .{ .{ mi, ki }, .{ ki, ni }, none },
            .ndims = .{ 2, 2, 0 },
        },
        .svd => .{
            .count = 3,
            .sizes = .{ m * m, k, n * n },
            .dims = .{ .{ mi, mi }, .{ ki, 0 }, .{ ni, ni } },
            .ndims = .{ 2, 1, 2 },
        },
        .svd_values => .{
            .count = 1,
            .sizes = .{ k, 0, 0 },
            .dims = .{ .{ ki, 0 }, none, none },
            .ndims = .{ 1, 0, 0 },
        },
        .eigh, .eig => .{
            .count = 2,
            .sizes = .{ n, n * n, 0 },
            .dims = .{ .{ ni, 0 }, .{ ni, ni }, none },
            .ndims = .{ 1, 2, 0 },
        },
        .eigvalsh, .eigvals => .{
            .count = 1,
            .sizes = .{ n, 0, 0 },
            .dims = .{ .{ ni, 0 }, none, none },
            .ndims = .{ 1, 0, 0 },
        },
    };
}

/// Validates `a` for `kind`, records the decomposition and writes its outputs (each a new
/// reference) into `outputs`; returns how many (Q, R; U, S, Vt; S; w, V; w).
pub fn create(
    kind: Kind,
    a: *Array,
    upper: bool,
    outputs: *[outputs_max]*Array,
) errors.Error!usize {
    const op = kind.opName();
    try validate(kind, a);
    const ndim = a.shape.ndim;
    const m: usize = @intCast(a.shape.dims[ndim - 2]);
    const n: usize = @intCast(a.shape.dims[ndim - 1]);
    const batch: usize = @intCast(batchCount(a.shape));
    const parts = layout(kind, m, n);
    const total_max: usize = std.math.maxInt(i32);
    var total: usize = 0;
    for (parts.sizes[0..parts.count]) |size| {
        const part = std.math.mul(usize, size, batch) catch total_max + 1;
        total = @min(total + @min(part, total_max + 1), total_max + 1);
    }
    if (total > total_max) {
        return errors.fail(error.LimitExceeded, "{s} the outputs for an input of shape {f} " ++
            "would hold more than {d} elements", .{ op, a.shape, total_max });
    }
    const dtype: dtype_mod.DType = if (kind == .eig or kind == .eigvals) .complex64 else a.dtype;
    const packed_shape = try Shape.init(&.{@intCast(total)});
    const params: Params = .{ .kind = kind, .upper = upper };
    const primitive: Primitive = .{ .decomposition = params };
    const packed_node = try Array.createLazy(dtype, packed_shape, primitive, &.{a});
    defer packed_node.release();
    var made: usize = 0;
    errdefer for (outputs[0..made]) |output| output.release();
    var start: usize = 0;
    for (0..parts.count) |index| {
        const size = parts.sizes[index] * batch;
        const part = try view.createSlice(
            packed_node,
            &.{@intCast(start)},
            &.{@intCast(size)},
            &.{1},
        );
        defer part.release();
        var dims: [shape_mod.ndim_max]i32 = undefined;
        @memcpy(dims[0 .. ndim - 2], a.shape.dims[0 .. ndim - 2]);
        const trailing = parts.ndims[index];
        @memcpy(dims[ndim - 2 ..][0..trailing], parts.dims[index][0..trailing]);
        const output_shape = try Shape.init(dims[0 .. ndim - 2 + trailing]);
        outputs[index] = try view.createReshape(part, output_shape);
        made += 1;
        start += size;
    }
    if (a.dtype == .complex64 and (kind == .eigh or kind == .eigvalsh)) {
        // Hermitian eigenvalues are real: float32, as in MLX.
        const values = outputs[0];
        outputs[0] = try unary.create(.real, values);
        values.release();
    }
    return parts.count;
}

fn batchCount(shape: Shape) i64 {
    var count: i64 = 1;
    for (shape.dims[0 .. shape.ndim - 2]) |dim| count *= dim;
    return count;
}

fn validate(kind: Kind, a: *const Array) errors.Error!void {
    const op = kind.opName();
    const complex_accepted = kind == .eig or kind == .eigvals or kind == .eigh or
        kind == .eigvalsh;
    const complex_later = kind != .qr and !complex_accepted;
    if (a.dtype == .complex64 and complex_later) {
        return errors.fail(error.Unsupported, "{s} complex64 input is not supported yet " ++
            "(float32 and float64 are)", .{op});
    }
    const accepted = a.dtype == .float32 or a.dtype == .float64 or
        (a.dtype == .complex64 and complex_accepted);
    if (!accepted) {
        const names = if (complex_accepted)
            "float32, float64 or complex64"
        else
            "float32 or float64";
        return errors.fail(error.DTypeMismatch, "{s} arrays must have type {s}; got {s}", .{
            op, names, a.dtype.name(),
        });
    }
    if (a.shape.ndim < 2) {
        return errors.fail(error.InvalidArgument, "{s} arrays must have at least 2 " ++
            "dimensions; got shape {f}", .{ op, a.shape });
    }
    const square_only = kind != .qr and kind != .svd and kind != .svd_values;
    const dims = a.shape.dims[a.shape.ndim - 2 ..][0..2];
    if (square_only and dims[0] != dims[1]) {
        return errors.fail(error.ShapeMismatch, "{s} only defined for square matrices; got " ++
            "shape {f}", .{ op, a.shape });
    }
}

/// Computes every output of the decomposition into the flat buffer of `out`.
pub fn evalCpu(params: Params, out: *Array) errors.Error!void {
    assert(out.inputs.len == 1);
    try out.allocateOutput();
    errdefer out.discardOutput();
    switch (out.inputs[0].dtype) {
        .float32 => try Job(f32).run(params, out),
        .float64 => try Job(f64).run(params, out),
        .complex64 => try Job(Complex64).run(params, out),
        else => unreachable,
    }
}

const Failure = enum(u8) { none, out_of_memory, no_convergence };

fn Job(comptime T: type) type {
    return struct {
        const Self = @This();
        /// float64 values per input element.
        const input_scale: usize = if (T == Complex64) 2 else 1;

        params: Params,
        input: *const Array,
        out: *Array,
        m: usize,
        n: usize,
        batch: usize,
        parts: Layout,
        failure: std.atomic.Value(Failure) = .init(.none),

        fn run(params: Params, out: *Array) errors.Error!void {
            const input = out.inputs[0];
            const ndim = input.shape.ndim;
            const m: usize = @intCast(input.shape.dims[ndim - 2]);
            const n: usize = @intCast(input.shape.dims[ndim - 1]);
            var self: Self = .{
                .params = params,
                .input = input,
                .out = out,
                .m = m,
                .n = n,
                .batch = @intCast(batchCount(input.shape)),
                .parts = layout(params.kind, m, n),
            };
            pool.parallelFor(self.batch, 1, &self, runRange);
            switch (self.failure.load(.acquire)) {
                .none => {},
                .out_of_memory => {
                    const len = workspaceLen(params.kind, m, n, T == Complex64);
                    return memory.outOfMemory(len * 8);
                },
                .no_convergence => return errors.fail(error.LimitExceeded, "{s} the iteration " ++
                    "did not converge for an input of shape {f}", .{
                    params.kind.opName(), input.shape,
                }),
            }
        }

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *Self = @ptrCast(@alignCast(@constCast(context)));
            const len = workspaceLen(self.params.kind, self.m, self.n, T == Complex64);
            const work = memory.allocator.alloc(f64, len) catch {
                self.failure.store(.out_of_memory, .release);
                return;
            };
            defer memory.allocator.free(work);
            const order = memory.allocator.alloc(usize, @max(self.m, self.n)) catch {
                self.failure.store(.out_of_memory, .release);
                return;
            };
            defer memory.allocator.free(order);
            for (start..end) |index| {
                self.matrix(index, work, order) catch {
                    self.failure.store(.no_convergence, .release);
                    return;
                };
            }
        }

        /// Decomposes matrix `index` of the batch.
        fn matrix(self: *const Self, index: usize, work: []f64, order: []usize) !void {
            const m = self.m;
            const n = self.n;
            const k = @min(m, n);
            // The input: real, or complex as real, imaginary pairs (eig only).
            const a = work[0 .. input_scale * m * n];
            self.load(index, a);
            // Scaled by a power of two (exactly) to max |a| near 1, so that sums of squares
            // in the kernels neither overflow nor underflow; the values are scaled back.
            const scale = normalize(a);
            const rest = work[2 * m * n ..];
            switch (self.params.kind) {
                .qr => {
                    const vectors = rest[0 .. k * m];
                    const betas = rest[k * m ..][0..k];
                    const row = rest[k * m + k ..][0..@max(m, n)];
                    const q = rest[k * m + k + @max(m, n) ..][0 .. m * k];
                    householder.factor(a, m, n, vectors, betas, row);
                    householder.formQ(vectors, betas, m, k, q, k, row);
                    rescale(a[0 .. k * n], scale);
                    self.store(0, index, q);
                    self.store(1, index, a[0 .. k * n]);
                },
                .svd, .svd_values => {
                    const s = rest[0..k];
                    if (self.params.kind == .svd) {
                        const u = rest[k..][0 .. m * m];
                        const vt = rest[k + m * m ..][0 .. n * n];
                        const scratch = rest[k + m * m + n * n ..];
                        const vectors: svd_kernel.Vectors = .{ .u = u, .vt = vt };
                        try svd_kernel.decompose(a, m, n, s, vectors, scratch, order);
                        rescale(s, scale);
                        self.store(0, index, u);
                        self.store(1, index, s);
                        self.store(2, index, vt);
                    } else {
                        try svd_kernel.decompose(a, m, n, s, null, rest[k..], order);
                        rescale(s, scale);
                        self.store(0, index, s);
                    }
                },
                .eigh, .eigvalsh => if (T == Complex64) {
                    hermitize(a, n, self.params.upper);
                    const values = rest[0 .. 2 * n];
                    const vectors = rest[2 * n ..][0 .. 2 * n * n];
                    const with_vectors = self.params.kind == .eigh;
                    const scratch = rest[2 * n + 2 * n * n ..];
                    const vectors_or_null = if (with_vectors) vectors else null;
                    try eig_kernel.decomposeHermitian(a, n, values, vectors_or_null, scratch);
                    rescale(values, scale);
                    self.store(0, index, values);
                    if (with_vectors) self.store(1, index, vectors);
                } else {
                    symmetrize(a, n, self.params.upper);
                    const values = rest[0..n];
                    const vectors = rest[n..][0 .. n * n];
                    const with_vectors = self.params.kind == .eigh;
                    const scratch = rest[n + n * n ..];
                    const vectors_or_null = if (with_vectors) vectors else null;
                    try eigh_kernel.decompose(a, n, values, vectors_or_null, scratch);
                    rescale(values, scale);
                    self.store(0, index, values);
                    if (with_vectors) self.store(1, index, vectors);
                },
                .eig, .eigvals => {
                    const values = rest[0 .. 2 * n];
                    const vectors = rest[2 * n ..][0 .. 2 * n * n];
                    const scratch = rest[2 * n + 2 * n * n ..];
                    const with_vectors = self.params.kind == .eig;
                    const vectors_or_null = if (with_vectors) vectors else null;
                    if (T == Complex64) {
                        try eig_kernel.decomposeComplex(a, n, values, vectors_or_null, scratch);
                    } else {
                        try eig_kernel.decompose(a, n, values, vectors_or_null, scratch);
                    }
                    rescale(values, scale);
                    self.store(0, index, values);
                    if (with_vectors) self.store(1, index, vectors);
                },
            }
        }

        /// Reads matrix `index` (through the input's strides) into `a`, row-major.
        fn load(self: *const Self, index: usize, a: []f64) void {
            const input = self.input;
            const ndim = input.shape.ndim;
            var offset: i64 = input.offset;
            var rest = index;
            var axis = ndim - 2;
            while (axis > 0) {
                axis -= 1;
                const dim: usize = @intCast(input.shape.dims[axis]);
                offset += @as(i64, @intCast(rest % dim)) * input.strides[axis];
                rest /= dim;
            }
            const base = input.basePtr(T);
            const row_stride = input.strides[ndim - 2];
            const column_stride = input.strides[ndim - 1];
            for (0..self.m) |i| {
                for (0..self.n) |j| {
                    const at = offset + @as(i64, @intCast(i)) * row_stride +
                        @as(i64, @intCast(j)) * column_stride;
                    const value = base[@intCast(at)];
                    if (T == Complex64) {
                        a[2 * (i * self.n + j)] = value.re;
                        a[2 * (i * self.n + j) + 1] = value.im;
                    } else {
                        a[i * self.n + j] = value;
                    }
                }
            }
        }

        /// Writes output `part` of matrix `index` from float64 `values` (for complex
        /// outputs: real, imaginary pairs).
        fn store(self: *const Self, part: usize, index: usize, values: []const f64) void {
            var start: usize = 0;
            for (self.parts.sizes[0..part]) |size| start += size * self.batch;
            const size = self.parts.sizes[part];
            start += index * size;
            switch (self.out.dtype) {
                .complex64 => {
                    assert(values.len == 2 * size);
                    const out = self.out.dataPtr(Complex64)[start..][0..size];
                    for (out, 0..) |*slot, i| {
                        slot.* = .{
                            .re = @floatCast(values[2 * i]),
                            .im = @floatCast(values[2 * i + 1]),
                        };
                    }
                },
                else => {
                    assert(values.len == size);
                    const out = self.out.dataPtr(T)[start..][0..size];
                    // Complex input has complex outputs only.
                    if (T == Complex64) unreachable else {
                        for (out, values) |*slot, value| slot.* = @floatCast(value);
                    }
                },
            }
        }
    };
}

/// Divides `a` by the power of two nearest above its largest magnitude (exact) and returns
/// that power; 1 when `a` is zero or holds a non-finite value.
fn normalize(a: []f64) f64 {
    var largest: f64 = 0;
    for (a) |x| largest = @max(largest, @abs(x));
    if (largest == 0 or !std.math.isFinite(largest)) return 1;
    const scale = std.math.ldexp(@as(f64, 1), std.math.frexp(largest).exponent);
    for (a) |*x| x.* /= scale;
    return scale;
}

fn rescale(x: []f64, scale: f64) void {
    for (x) |*value| value.* *= scale;
}

/// Fills the other triangle of the complex `a` (n x n, real, imaginary pairs) with the
/// conjugates of the lower one (or the upper one); the diagonal's imaginary parts are
/// ignored (zeroed), as LAPACK does.
fn hermitize(a: []f64, n: usize, upper: bool) void {
    for (0..n) |i| {
        a[2 * (i * n + i) + 1] = 0;
        for (0..i) |j| {
            const lower_index = 2 * (i * n + j);
            const upper_index = 2 * (j * n + i);
            const from, const to = if (upper)
                .{ upper_index, lower_index }
            else
                .{ lower_index, upper_index };
            a[to] = a[from];
            a[to + 1] = -a[from + 1];
        }
    }
}

/// Fills the other triangle of `a` (n x n) from the lower one (or the upper one).
fn symmetrize(a: []f64, n: usize, upper: bool) void {
    for (0..n) |i| {
        for (0..i) |j| {
            if (upper) a[i * n + j] = a[j * n + i] else a[j * n + i] = a[i * n + j];
        }
    }
}

/// float64 scratch for one matrix: the input copy plus the kernel's outputs and scratch.
fn workspaceLen(kind: Kind, m: usize, n: usize, complex: bool) usize {
    const k = @min(m, n);
    const rest = switch (kind) {
        .qr => k * m + k + @max(m, n) + m * k,
        .svd => k + m * m + n * n + svd_kernel.workspaceLen(m, n, true),
        .svd_values => k + svd_kernel.workspaceLen(m, n, false),
        .eigh, .eigvalsh => if (complex)
            2 * n + 2 * n * n + eig_kernel.workspaceLen(n)
        else
            n + n * n + eigh_kernel.workspaceLen(n),
        .eig, .eigvals => 2 * n + 2 * n * n + eig_kernel.workspaceLen(n),
    };
    return 2 * m * n + rest; // The input copy has room for complex pairs.
}

const graph = @import("../graph.zig");

fn testArray(
    comptime T: type,
    dtype: dtype_mod.DType,
    values: []const T,
    dims: []const i32,
) !*Array {
    const shape = try Shape.init(dims);
    return Array.createFromBytes(dtype, shape, std.mem.sliceAsBytes(values));
}

test "decompositions: outputs are views of one node, batched through strides" {
    // Two 2 x 2 matrices, read transposed (a strided view).
    const a = try testArray(f32, .float32, &.{ 2, 1, 1, 2, 3, 0, 0, 1 }, &.{ 2, 2, 2 });
    defer a.release();
    const at = try view.createTranspose(a, &.{ 0, 2, 1 });
    defer at.release();
    var outputs: [outputs_max]*Array = undefined;
    const count = try create(.eigh, at, false, &outputs);
    defer for (outputs[0..count]) |output| output.release();
    try std.testing.expectEqual(@as(usize, 2), count);
    try graph.eval(outputs[0..count]);
    try std.testing.expectEqualSlices(i32, &.{ 2, 2 }, outputs[0].shape.slice());
    try std.testing.expectEqualSlices(i32, &.{ 2, 2, 2 }, outputs[1].shape.slice());
    const values = outputs[0].dataPtr(f32)[0..4];
    const want = [_]f32{ 1, 3, 1, 3 };
    for (want, values) |expected, actual| {
        try std.testing.expectApproxEqAbs(expected, actual, 1e-6);
    }
    try std.testing.expect(outputs[0].buffer == outputs[1].buffer);
}

test "decompositions: errors name the op, the shape and the dtype" {
    const huge = try testArray(f32, .float32, &.{1}, &.{ 1, 1 });
    defer huge.release();
    const broadcast = try view.createBroadcastTo(huge, try Shape.init(&.{ 1 << 16, 1 << 15 }));
    defer broadcast.release();
    var too_many: [outputs_max]*Array = undefined;
    try std.testing.expectError(error.LimitExceeded, create(.svd, broadcast, false, &too_many));
    try std.testing.expectEqualStrings("[linalg.svd] the outputs for an input of shape " ++
        "[65536,32768] would hold more than 2147483647 elements", errors.message());
    var outputs: [outputs_max]*Array = undefined;
    const i = try testArray(i32, .int32, &.{ 1, 2, 3, 4 }, &.{ 2, 2 });
    defer i.release();
    try std.testing.expectError(error.DTypeMismatch, create(.qr, i, false, &outputs));
    try std.testing.expectEqualStrings("[linalg.qr] arrays must have type float32 or float64; " ++
        "got int32", errors.message());
    const wide = try testArray(f64, .float64, &.{ 1, 2, 3, 4, 5, 6 }, &.{ 2, 3 });
    defer wide.release();
    try std.testing.expectError(error.ShapeMismatch, create(.eig, wide, false, &outputs));
    try std.testing.expectEqualStrings("[linalg.eig] only defined for square matrices; got " ++
        "shape [2,3]", errors.message());
    const vector = try testArray(f64, .float64, &.{ 1, 2 }, &.{2});
    defer vector.release();
    const not_matrix = create(.svd_values, vector, false, &outputs);
    try std.testing.expectError(error.InvalidArgument, not_matrix);
    try std.testing.expectEqualStrings("[linalg.svd] arrays must have at least 2 dimensions; " ++
        "got shape [2]", errors.message());
}

test "decompositions: huge and tiny float64 matrices keep their scale" {
    for ([_]f64{ 1e300, 1e-300 }) |magnitude| {
        const values = [_]f64{ 2 * magnitude, magnitude, magnitude, 2 * magnitude };
        const a = try testArray(f64, .float64, &values, &.{ 2, 2 });
        defer a.release();
        const cases = [_]struct { Kind, [2]f64 }{
            .{ .eigvalsh, .{ 1, 3 } },
            .{ .svd_values, .{ 3, 1 } },
        };
        for (cases) |entry| {
            const kind, const want = entry;
            var outputs: [outputs_max]*Array = undefined;
            const count = try create(kind, a, false, &outputs);
            defer for (outputs[0..count]) |output| output.release();
            try graph.eval(outputs[0..1]);
            for (want, outputs[0].dataPtr(f64)[0..2]) |expected, actual| {
                try std.testing.expectApproxEqRel(expected, actual / magnitude, 1e-12);
            }
        }
    }
}
