//! Reduction kernels (sum, prod, min, max, all, any). The input is viewed with its kept axes
//! first and its reduced axes last; each output element reduces one (collapsed) block of the
//! input, with a SIMD loop when that block's rows are contiguous. Output elements are split
//! across the thread pool.

const std = @import("std");
const assert = std.debug.assert;
const dtype_mod = @import("../../dtype.zig");
const shape_mod = @import("../../shape.zig");
const Array = @import("../../array.zig").Array;
const memory = @import("../../memory.zig");
const strided = @import("strided.zig");
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const cast = @import("cast.zig");
const binary_ops = @import("binary_ops.zig");

const DType = dtype_mod.DType;
const Storage = dtype_mod.Storage;

/// The order is the ABI's op code.
pub const Op = enum(u8) { sum, prod, min, max, all, any };

/// The output dtype of `op` over `input` (MLX's rules), or null where MLX rejects it.
pub fn outputDtype(op: Op, input: DType) DType {
    return switch (op) {
        .sum, .prod => dtype_mod.sumDtype(input),
        .min, .max => input,
        .all, .any => .bool_,
    };
}

/// The dtype a reduction accumulates in.
fn accumulatorDtype(op: Op, input: DType) DType {
    const out = outputDtype(op, input);
    return switch (op) {
        .all, .any => .bool_,
        else => switch (out) {
            .float16, .bfloat16 => .float32,
            else => out,
        },
    };
}

fn identity(comptime op: Op, comptime acc: DType) Storage(acc) {
    const T = Storage(acc);
    return switch (op) {
        .sum => cast.convert(acc, .int32, 0),
        .prod => cast.convert(acc, .int32, 1),
        .all => 1,
        .any => 0,
        .min, .max => switch (acc) {
            .bool_ => if (op == .min) 1 else 0,
            .complex64 => blk: {
                const inf = std.math.inf(f32);
                break :blk if (op == .min) .{ .re = inf, .im = inf } else .{ .re = -inf, .im = -inf };
            },
            else => switch (@typeInfo(T)) {
                .float => if (op == .min) std.math.inf(T) else -std.math.inf(T),
                .int => if (op == .min) std.math.maxInt(T) else std.math.minInt(T),
                else => comptime unreachable,
            },
        },
    };
}

/// Combines an accumulator with one (converted) element; works on vectors for plain types.
inline fn combine(comptime op: Op, comptime acc: DType, a: anytype, b: @TypeOf(a)) @TypeOf(a) {
    const binary: binary_ops.BinaryOp = switch (op) {
        .sum => .add,
        .prod => .multiply,
        .min => .minimum,
        .max => .maximum,
        .all => .bitwise_and,
        .any => .bitwise_or,
    };
    return binary_ops.apply(binary, acc, acc, a, b);
}

/// Converts an input element to the accumulator (all/any test for non-zero).
fn load(comptime op: Op, comptime in: DType, comptime acc: DType, x: Storage(in)) Storage(acc) {
    return switch (op) {
        .all, .any => cast.convert(.bool_, in, x),
        else => cast.convert(acc, in, x),
    };
}

fn vectorizable(comptime op: Op, comptime in: DType) bool {
    const acc = accumulatorDtype(op, in);
    if (in != acc) return false;
    return switch (acc) {
        .float32, .float64, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64 => true,
        else => false,
    };
}

fn Kernel(comptime op: Op, comptime in_dtype: DType) type {
    const out_dtype = outputDtype(op, in_dtype);
    const acc_dtype = accumulatorDtype(op, in_dtype);
    const In = Storage(in_dtype);
    const Out = Storage(out_dtype);
    const Acc = Storage(acc_dtype);
    return struct {
        /// Iterates the kept axes of the input (operand 0).
        kept: strided.Loop(1),
        /// Iterates the reduced axes of the input (operand 0), from offset 0.
        reduced: strided.Loop(1),
        input: [*]In,
        out: [*]Out,
        chunk_state: ChunkState = .{},

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const rows: usize = @intCast(self.reduced.rowCount());
            for (start..end) |out_index| {
                const base = self.keptOffset(out_index);
                var acc: Acc = identity(op, acc_dtype);
                for (0..rows) |row| {
                    const first = base + self.reduced.rowOffsets(@intCast(row))[0];
                    acc = combine(op, acc_dtype, acc, self.reduceRow(first));
                }
                self.out[out_index] = cast.convert(out_dtype, acc_dtype, acc);
            }
        }

        /// Reduced rows outer, kept elements one contiguous row: adds whole input rows into
        /// the output row (columns [start, end) of it), so memory is read in order.
        fn runColumns(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            if (comptime !columnFriendly()) unreachable;
            const out = self.out[start..end];
            for (out) |*slot| slot.* = identity(op, acc_dtype);
            self.addRows(out, start, 0, self.reducedItems());
        }

        /// Input rows (of kept elements) the reduced axes index.
        fn reducedItems(self: *const @This()) usize {
            return @intCast(self.reduced.rowCount() * self.reduced.rowLength());
        }

        /// Combines reduced items `first_item..end_item` (each a contiguous input row of the
        /// kept elements, from column `column0`) into `out`.
        fn addRows(self: *const @This(), out: []Acc, column0: usize, first_item: usize, end_item: usize) void {
            const length: usize = @intCast(self.reduced.rowLength());
            const stride = self.reduced.rowStride(0);
            const base = self.kept.rowOffsets(0)[0] + @as(i64, @intCast(column0));
            const n = simd.lanes(Acc);
            for (first_item..end_item) |item| {
                const row_start = base + self.reduced.rowOffsets(@intCast(item / length))[0];
                const first = row_start + @as(i64, @intCast(item % length)) * stride;
                const source = strided.ptrAt(In, self.input, first);
                var i: usize = 0;
                while (i + n <= out.len) : (i += n) {
                    const chunk: simd.Vec(Acc) = source[i..][0..n].*;
                    out[i..][0..n].* = combine(op, acc_dtype, @as(simd.Vec(Acc), out[i..][0..n].*), chunk);
                }
                while (i < out.len) : (i += 1) out[i] = combine(op, acc_dtype, out[i], source[i]);
            }
        }

        /// The column layout with the reduced rows split across threads: part p combines its
        /// share of the rows over every column into partial row p (part 0 into the output),
        /// reading the input in order; the partials are combined afterwards.
        const RowParts = struct {
            kernel: *const Kernel(op, in_dtype),
            partials: []Acc,
            parts: usize,

            fn run(context: *const anyopaque, start: usize, end: usize) void {
                const self: *const RowParts = @ptrCast(@alignCast(context));
                const k = self.kernel;
                const columns: usize = @intCast(k.kept.rowLength());
                const items = k.reducedItems();
                for (start..end) |part| {
                    const out = if (part == 0) k.out[0..columns] else self.partials[(part - 1) * columns ..][0..columns];
                    for (out) |*slot| slot.* = identity(op, acc_dtype);
                    k.addRows(out, 0, items * part / self.parts, items * (part + 1) / self.parts);
                }
            }
        };
        /// Kept axes end in a contiguous row (pooling-like layouts, `[..., k, ..., c]` reduced
        /// over the middle axes): each kept row of outputs [start, end) is combined with the
        /// matching input rows, one vector op per `simd.lanes` elements.
        fn runKeptRows(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            if (comptime !rowFriendly()) unreachable;
            const row_length: usize = @intCast(self.kept.rowLength());
            assert(self.kept.rowStride(0) == 1);
            const rows: usize = @intCast(self.reduced.rowCount());
            const length: usize = @intCast(self.reduced.rowLength());
            const stride = self.reduced.rowStride(0);
            const n = simd.lanes(Acc);
            for (start..end) |kept_row| {
                const out = self.out[kept_row * row_length ..][0..row_length];
                for (out) |*slot| slot.* = identity(op, acc_dtype);
                const base = self.kept.rowOffsets(@intCast(kept_row))[0];
                for (0..rows) |row| {
                    const row_start = base + self.reduced.rowOffsets(@intCast(row))[0];
                    for (0..length) |k| {
                        const source = strided.ptrAt(In, self.input, row_start + @as(i64, @intCast(k)) * stride);
                        var i: usize = 0;
                        if (comptime vectorizable(op, in_dtype)) {
                            while (i + n <= row_length) : (i += n) {
                                const chunk: simd.Vec(Acc) = source[i..][0..n].*;
                                out[i..][0..n].* = combine(op, acc_dtype, @as(simd.Vec(Acc), out[i..][0..n].*), chunk);
                            }
                        }
                        while (i < row_length) : (i += 1) {
                            out[i] = combine(op, acc_dtype, out[i], load(op, in_dtype, acc_dtype, source[i]));
                        }
                    }
                }
            }
        }

        /// Outputs hold accumulators (no final conversion), so rows can accumulate in place.
        fn rowFriendly() bool {
            return Out == Acc;
        }

        fn columnFriendly() bool {
            return vectorizable(op, in_dtype) and In == Out;
        }

        /// One output, one long contiguous row: each chunk of the row reduces into its own
        /// partial, combined afterwards.
        fn runChunks(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            const chunks: *ChunkState = @constCast(&self.chunk_state);
            for (start..end) |chunk| {
                const first = chunk * chunks.chunk_elements;
                const last = @min(first + chunks.chunk_elements, chunks.total_elements);
                chunks.partials[chunk] = self.reduceSpan(chunks.base + @as(i64, @intCast(first)), last - first);
            }
        }

        const ChunkState = struct {
            partials: [pool.threads_max * 4]Acc = undefined,
            chunk_elements: usize = 0,
            total_elements: usize = 0,
            base: i64 = 0,
        };

        /// Reduces `length` contiguous elements from absolute index `first`.
        fn reduceSpan(self: *const @This(), first: i64, length: usize) Acc {
            var acc: Acc = identity(op, acc_dtype);
            var i: usize = 0;
            const row = strided.ptrAt(In, self.input, first);
            if (comptime vectorizable(op, in_dtype)) {
                const n = simd.lanes(Acc);
                const vacc = reduceVectors(row, length, &i);
                inline for (0..n) |lane| acc = combine(op, acc_dtype, acc, vacc[lane]);
            }
            while (i < length) : (i += 1) acc = combine(op, acc_dtype, acc, load(op, in_dtype, acc_dtype, row[i]));
            return acc;
        }

        /// Combines the whole vectors of `row[i.*..length]` into one vector, four independent
        /// accumulators at a time (one would wait on the add's latency); `i` ends past them.
        fn reduceVectors(row: [*]const In, length: usize, i: *usize) simd.Vec(Acc) {
            const n = simd.lanes(Acc);
            const V = simd.Vec(Acc);
            var vacc: [4]V = @splat(@splat(identity(op, acc_dtype)));
            while (i.* + 4 * n <= length) : (i.* += 4 * n) {
                inline for (0..4) |v| vacc[v] = combine(op, acc_dtype, vacc[v], @as(V, row[i.* + v * n ..][0..n].*));
            }
            while (i.* + n <= length) : (i.* += n) vacc[0] = combine(op, acc_dtype, vacc[0], @as(V, row[i.*..][0..n].*));
            return combine(op, acc_dtype, combine(op, acc_dtype, vacc[0], vacc[1]), combine(op, acc_dtype, vacc[2], vacc[3]));
        }

        fn keptOffset(self: *const @This(), out_index: usize) i64 {
            const row_length: usize = @intCast(self.kept.rowLength());
            const row = out_index / row_length;
            const column: i64 = @intCast(out_index % row_length);
            return self.kept.rowOffsets(@intCast(row))[0] + column * self.kept.rowStride(0);
        }

        /// Reduces the reduced-axes row that starts at absolute element index `first`.
        fn reduceRow(self: *const @This(), first: i64) Acc {
            const length: usize = @intCast(self.reduced.rowLength());
            const stride = self.reduced.rowStride(0);
            var acc: Acc = identity(op, acc_dtype);
            var i: usize = 0;
            if (comptime vectorizable(op, in_dtype)) {
                if (stride == 1) {
                    const n = simd.lanes(Acc);
                    const row = strided.ptrAt(In, self.input, first);
                    const vacc = reduceVectors(row, length, &i);
                    inline for (0..n) |lane| acc = combine(op, acc_dtype, acc, vacc[lane]);
                }
            }
            while (i < length) : (i += 1) {
                const at = first + @as(i64, @intCast(i)) * stride;
                const element = strided.at(In, self.input, at).*;
                acc = combine(op, acc_dtype, acc, load(op, in_dtype, acc_dtype, element));
            }
            return acc;
        }
    };
}

/// Reduces `input` over the axes set in `axes_mask` into `out` (allocated row-major; its
/// element count is that of the kept axes, whether or not they were kept as size 1).
pub fn run(op: Op, out: *Array, input: *const Array, axes_mask: u32) void {
    assert(out.isRowContiguous());
    switch (op) {
        inline else => |comptime_op| switch (input.dtype) {
            inline else => |in_dtype| {
                assert(out.dtype == outputDtype(comptime_op, in_dtype));
                runTyped(comptime_op, in_dtype, out, input, axes_mask);
            },
        },
    }
}

fn runTyped(comptime op: Op, comptime in_dtype: DType, out: *Array, input: *const Array, axes_mask: u32) void {
    var kept_shape: shape_mod.Shape = .{};
    var kept_strides: shape_mod.Strides = @splat(0);
    var reduced_shape: shape_mod.Shape = .{};
    var reduced_strides: shape_mod.Strides = @splat(0);
    for (0..input.shape.ndim) |axis| {
        const dim = input.shape.dims[axis];
        const stride = input.strides[axis];
        if (axes_mask & (@as(u32, 1) << @intCast(axis)) != 0) {
            reduced_shape.dims[reduced_shape.ndim] = dim;
            reduced_strides[reduced_shape.ndim] = stride;
            reduced_shape.ndim += 1;
        } else {
            kept_shape.dims[kept_shape.ndim] = dim;
            kept_strides[kept_shape.ndim] = stride;
            kept_shape.ndim += 1;
        }
    }
    const out_count: usize = @intCast(kept_shape.size());
    assert(out_count == out.shape.size());
    if (out_count == 0) return;
    const K = Kernel(op, in_dtype);
    const out_ptr = out.dataPtr(Storage(outputDtype(op, in_dtype)));
    const acc_dtype = comptime accumulatorDtype(op, in_dtype);
    if (reduced_shape.size() == 0) {
        const empty = cast.convert(outputDtype(op, in_dtype), acc_dtype, identity(op, acc_dtype));
        for (0..out_count) |i| out_ptr[i] = empty;
        return;
    }
    var kernel: K = .{
        .kept = strided.Loop(1).init(kept_shape, .{kept_strides}, .{input.offset}),
        .reduced = strided.Loop(1).init(reduced_shape, .{reduced_strides}, .{0}),
        .input = input.basePtr(Storage(in_dtype)),
        .out = out_ptr,
    };
    const reduced_count: usize = @intCast(reduced_shape.size());
    const threads = pool.threadCount();
    // A few outputs over one long contiguous row: split the row instead of the outputs.
    const one_row = kernel.reduced.rowCount() == 1 and kernel.reduced.rowStride(0) == 1;
    if (out_count == 1 and one_row and reduced_count >= 2 * simd.parallel_grain_elements and threads > 1) {
        const chunk_count = @min(threads * 4, reduced_count / simd.parallel_grain_elements);
        kernel.chunk_state.chunk_elements = std.math.divCeil(usize, reduced_count, chunk_count) catch unreachable;
        kernel.chunk_state.total_elements = reduced_count;
        kernel.chunk_state.base = kernel.kept.rowOffsets(0)[0];
        const used = std.math.divCeil(usize, reduced_count, kernel.chunk_state.chunk_elements) catch unreachable;
        pool.parallelFor(used, 1, &kernel, K.runChunks);
        var acc = identity(op, acc_dtype);
        for (kernel.chunk_state.partials[0..used]) |partial| acc = combine(op, acc_dtype, acc, partial);
        out_ptr[0] = cast.convert(outputDtype(op, in_dtype), acc_dtype, acc);
        return;
    }
    // Kept elements contiguous and innermost: add input rows into the output row.
    const columns = kernel.kept.ndim == 1 and kernel.kept.rowStride(0) == 1 and out_count >= 16;
    if (comptime K.columnFriendly()) {
        if (columns) {
            // Many rows: split the rows (partials of at most 4 MiB in all), else the columns.
            const parts = @min(threads, reduced_count / 64);
            const partials_len = (parts -| 1) * out_count;
            const partials_fit = partials_len * @sizeOf(Storage(acc_dtype)) <= 4 << 20;
            const scratch = if (parts > 1 and partials_fit)
                memory.allocator.alloc(Storage(acc_dtype), partials_len) catch null
            else
                null;
            if (scratch) |partials| {
                defer memory.allocator.free(partials);
                const job: K.RowParts = .{ .kernel = &kernel, .partials = partials, .parts = parts };
                pool.parallelFor(parts, 1, &job, K.RowParts.run);
                for (0..parts - 1) |part| {
                    const partial = partials[part * out_count ..][0..out_count];
                    for (out_ptr[0..out_count], partial) |*slot, value| slot.* = combine(op, acc_dtype, slot.*, value);
                }
                return;
            }
            pool.parallelFor(out_count, 64, &kernel, K.runColumns);
            return;
        }
    }
    // Kept axes end in a contiguous row of at least a vector: combine whole rows.
    const kept_rows = kernel.kept.ndim > 1 and kernel.kept.rowStride(0) == 1 and
        kernel.kept.rowLength() >= 8;
    if (comptime K.rowFriendly()) {
        if (kept_rows) {
            const row_length: usize = @intCast(kernel.kept.rowLength());
            const row_count: usize = @intCast(kernel.kept.rowCount());
            const row_grain = @max(1, simd.parallel_grain_elements / (row_length * reduced_count));
            pool.parallelFor(row_count, row_grain, &kernel, K.runKeptRows);
            return;
        }
    }
    const grain = @max(1, simd.parallel_grain_elements / reduced_count);
    pool.parallelFor(out_count, grain, &kernel, K.runRange);
}
