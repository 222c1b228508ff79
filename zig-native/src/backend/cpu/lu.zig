//! LU factorization with partial pivoting on row-major matrices, making LAPACK getrf's
//! choices: at step k the pivot is the first row (from k down) with the largest |value| in
//! column k; a column that is zero from k down is left as it is (its pivot stays k) and
//! reported. Blocked right-looking (see `factor`): contiguous row updates (`@Vector`), the
//! update of the rows below each panel split across threads for a large single matrix. The
//! general inverse is built on it (`Inverse`).

const std = @import("std");
const assert = std.debug.assert;
const pool = @import("pool.zig");
const simd = @import("simd.zig");
const row_ops = @import("row_ops.zig");
const matrix_batch = @import("matrix_batch.zig");

/// Columns per panel of the blocked factorization: the rows below a panel are updated once
/// per panel (a rank-`panel_columns` row update) instead of once per column.
const panel_columns = 32;

/// Factors `lu` (rows x columns, row-major) in place into the unit lower L (below the
/// diagonal) and U; `pivots[k]` is the row swapped with row k at step k. Returns the first
/// step whose pivot is zero (the matrix is singular), or null. Blocked: each panel of
/// `panel_columns` columns is factored alone (rows swapped whole), then the panel's rows of U
/// right of it are solved with its unit L, then the rows below get all of the panel's updates
/// in one pass (split across threads when `threaded` and large). Every element receives the
/// same updates in the same order as in `factorUnblocked`, so the results are identical.
pub fn factor(
    comptime T: type,
    lu: []T,
    rows: usize,
    columns: usize,
    pivots: []u32,
    threaded: bool,
) ?usize {
    const steps = @min(rows, columns);
    assert(lu.len == rows * columns);
    assert(pivots.len == steps);
    var first_zero: ?usize = null;
    var panel_start: usize = 0;
    while (panel_start < steps) : (panel_start += panel_columns) {
        const panel_end = @min(panel_start + panel_columns, steps);
        for (panel_start..panel_end) |k| {
            const pivot_row = pivotRow(T, lu, rows, columns, k);
            pivots[k] = @intCast(pivot_row);
            swapRows(T, lu, columns, k, pivot_row);
            if (lu[k * columns + k] == 0) {
                if (first_zero == null) first_zero = k;
                continue;
            }
            const update: TrailingUpdate(T) = .{
                .lu = lu,
                .columns = columns,
                .step = k,
                .end_column = panel_end,
            };
            update.rowRange(0, rows - k - 1);
        }
        if (panel_end == columns) continue;
        const right = columns - panel_end;
        // The panel's rows of U right of the panel: forward substitution with its unit L.
        for (panel_start + 1..panel_end) |row| {
            const target = lu[row * columns + panel_end ..][0..right];
            for (panel_start..row) |p| {
                const l = lu[row * columns + p];
                const source = lu[p * columns + panel_end ..][0..right];
                if (l != 0) row_ops.subScaled(T, target, source, l);
            }
        }
        const update: PanelUpdate(T) = .{
            .lu = lu,
            .columns = columns,
            .panel_start = panel_start,
            .panel_end = panel_end,
        };
        const below = rows - panel_end;
        const work = right * (panel_end - panel_start);
        if (threaded and below * work >= 2 * simd.parallel_grain_elements) {
            const grain = @max(1, simd.parallel_grain_elements / work);
            pool.parallelFor(below, grain, &update, PanelUpdate(T).runRange);
        } else {
            update.rowRange(0, below);
        }
    }
    return first_zero;
}

/// The reference form of `factor`: one column at a time, the whole trailing matrix updated
/// at every step.
pub fn factorUnblocked(
    comptime T: type,
    lu: []T,
    rows: usize,
    columns: usize,
    pivots: []u32,
) ?usize {
    const steps = @min(rows, columns);
    assert(lu.len == rows * columns);
    assert(pivots.len == steps);
    var first_zero: ?usize = null;
    for (0..steps) |k| {
        const pivot_row = pivotRow(T, lu, rows, columns, k);
        pivots[k] = @intCast(pivot_row);
        swapRows(T, lu, columns, k, pivot_row);
        if (lu[k * columns + k] == 0) {
            if (first_zero == null) first_zero = k;
            continue;
        }
        const update: TrailingUpdate(T) = .{
            .lu = lu,
            .columns = columns,
            .step = k,
            .end_column = columns,
        };
        update.rowRange(0, rows - k - 1);
    }
    return first_zero;
}

/// The rows below a panel: row i (right of the panel) -= sum over the panel's columns p, in
/// order, of L[i, p] * U[p, right of the panel].
fn PanelUpdate(comptime T: type) type {
    return struct {
        lu: []T,
        columns: usize,
        panel_start: usize,
        panel_end: usize,

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            self.rowRange(start, end);
        }

        /// Rows panel_end + start .. panel_end + end.
        fn rowRange(self: *const @This(), start: usize, end: usize) void {
            const n = self.columns;
            const right = n - self.panel_end;
            for (self.panel_end + start..self.panel_end + end) |row| {
                const target = self.lu[row * n + self.panel_end ..][0..right];
                for (self.panel_start..self.panel_end) |p| {
                    const l = self.lu[row * n + p];
                    const source = self.lu[p * n + self.panel_end ..][0..right];
                    if (l != 0) row_ops.subScaled(T, target, source, l);
                }
            }
        }
    };
}

fn swapRows(comptime T: type, lu: []T, columns: usize, a: usize, b: usize) void {
    if (a == b) return;
    row_ops.swap(T, lu[a * columns ..][0..columns], lu[b * columns ..][0..columns]);
}

/// The first row from `k` down with the largest |lu[row, k]| (NaN never wins, as in idamax).
fn pivotRow(comptime T: type, lu: []const T, rows: usize, columns: usize, k: usize) usize {
    var best = k;
    var best_magnitude = @abs(lu[k * columns + k]);
    for (k + 1..rows) |row| {
        const magnitude = @abs(lu[row * columns + k]);
        if (magnitude > best_magnitude) {
            best = row;
            best_magnitude = magnitude;
        }
    }
    return best;
}

/// Step k of the factorization for the rows below the pivot row: L[i, k] = a[i, k] / pivot,
/// then row i (columns k + 1 .. end_column) -= L[i, k] * pivot row.
fn TrailingUpdate(comptime T: type) type {
    return struct {
        lu: []T,
        columns: usize,
        step: usize,
        end_column: usize,

        /// Rows step + 1 + start .. step + 1 + end.
        fn rowRange(self: *const @This(), start: usize, end: usize) void {
            const k = self.step;
            const n = self.columns;
            const width = self.end_column - k - 1;
            const pivot_row = self.lu[k * n + k + 1 ..][0..width];
            const pivot = self.lu[k * n + k];
            for (k + 1 + start..k + 1 + end) |row| {
                const multiplier = self.lu[row * n + k] / pivot;
                self.lu[row * n + k] = multiplier;
                if (multiplier == 0) continue;
                row_ops.subScaled(T, self.lu[row * n + k + 1 ..][0..width], pivot_row, multiplier);
            }
        }
    };
}

/// The row order of MLX's LUF: start from the identity and apply the pivot swaps from the
/// last step back to the first, so that row i of the input is row `indices[i]` of L @ U.
pub fn rowIndices(pivots: []const u32, indices: []u32) void {
    assert(indices.len >= pivots.len);
    for (indices, 0..) |*slot, i| slot.* = @intCast(i);
    var k = pivots.len;
    while (k > 0) {
        k -= 1;
        std.mem.swap(u32, &indices[k], &indices[pivots[k]]);
    }
}

/// MLX's LUF for a batch: each output matrix slot holds the packed factors (rows x columns),
/// then the `min(rows, columns)` pivots, then the `rows` row indices, the integers stored in
/// T (exact: the primitive bounds `rows`).
pub fn Factorization(comptime T: type) type {
    return struct {
        source: matrix_batch.Source(T),
        out: [*]T,
        rows: usize,
        columns: usize,

        pub fn slotSize(rows: usize, columns: usize) usize {
            return rows * columns + @min(rows, columns) + rows;
        }

        pub fn scratchBytes(self: *const @This()) usize {
            return (@min(self.rows, self.columns) + self.rows) * @sizeOf(u32);
        }

        pub fn solve(
            self: *const @This(),
            index: usize,
            scratch: []align(64) u8,
            threaded: bool,
        ) ?usize {
            const m = self.rows;
            const n = self.columns;
            const steps = @min(m, n);
            const slot = self.out[index * slotSize(m, n) ..][0..slotSize(m, n)];
            const lu = slot[0 .. m * n];
            self.source.load(index, lu, m, n);
            const pivots = matrix_batch.scratchSlice(u32, scratch, 0, steps);
            const indices = matrix_batch.scratchSlice(u32, scratch, steps * @sizeOf(u32), m);
            // A zero pivot is not an error here (getrf's info > 0 is ignored by MLX's LUF).
            _ = factor(T, lu, m, n, pivots, threaded);
            rowIndices(pivots, indices);
            for (slot[m * n ..][0..steps], pivots) |*x, p| x.* = @floatFromInt(p);
            for (slot[m * n + steps ..][0..m], indices) |*x, i| x.* = @floatFromInt(i);
            return null;
        }
    };
}

/// The general inverse of a batch of n x n matrices: LU with partial pivoting, then
/// X = U^-1 L^-1 P by forward and back substitution on whole rows of X (columns split across
/// threads). A zero pivot fails the matrix with info = that step.
pub fn Inverse(comptime T: type) type {
    return struct {
        source: matrix_batch.Source(T),
        out: [*]T,
        n: usize,

        pub fn scratchBytes(self: *const @This()) usize {
            const lu_bytes = std.mem.alignForward(usize, self.n * self.n * @sizeOf(T), 64);
            return lu_bytes + 2 * self.n * @sizeOf(u32);
        }

        pub fn solve(
            self: *const @This(),
            index: usize,
            scratch: []align(64) u8,
            threaded: bool,
        ) ?usize {
            const n = self.n;
            const lu_bytes = std.mem.alignForward(usize, n * n * @sizeOf(T), 64);
            const lu = matrix_batch.scratchSlice(T, scratch, 0, n * n);
            const pivots = matrix_batch.scratchSlice(u32, scratch, lu_bytes, n);
            const order = matrix_batch.scratchSlice(u32, scratch, lu_bytes + n * @sizeOf(u32), n);
            self.source.load(index, lu, n, n);
            if (factor(T, lu, n, n, pivots, threaded)) |step| return step;
            // order[i]: the input row that ended at row i (swaps applied first to last).
            for (order, 0..) |*slot, i| slot.* = @intCast(i);
            for (pivots, 0..) |p, k| std.mem.swap(u32, &order[k], &order[p]);
            const x = self.out[index * n * n ..][0 .. n * n];
            @memset(x, 0);
            for (order, 0..) |column, row| x[row * n + column] = 1;
            const substitution: Substitution(T) = .{ .lu = lu, .x = x, .n = n };
            const grain = 2 * simd.lanes(T);
            if (threaded and n * n * n >= 4 * simd.parallel_grain_elements and n >= 2 * grain) {
                pool.parallelFor(n, grain, &substitution, Substitution(T).runRange);
            } else {
                substitution.columnRange(0, n);
            }
            return null;
        }
    };
}

/// Solves L U X = B in place in x (B on entry) for the columns in a range.
fn Substitution(comptime T: type) type {
    return struct {
        lu: []const T,
        x: []T,
        n: usize,

        fn runRange(context: *const anyopaque, start: usize, end: usize) void {
            const self: *const @This() = @ptrCast(@alignCast(context));
            self.columnRange(start, end);
        }

        fn columnRange(self: *const @This(), start: usize, end: usize) void {
            const n = self.n;
            const width = end - start;
            for (0..n) |i| {
                const row = self.x[i * n + start ..][0..width];
                for (0..i) |j| {
                    const l = self.lu[i * n + j];
                    if (l != 0) row_ops.subScaled(T, row, self.x[j * n + start ..][0..width], l);
                }
            }
            var i = n;
            while (i > 0) {
                i -= 1;
                const row = self.x[i * n + start ..][0..width];
                for (i + 1..n) |j| {
                    const u = self.lu[i * n + j];
                    if (u != 0) row_ops.subScaled(T, row, self.x[j * n + start ..][0..width], u);
                }
                row_ops.divide(T, row, self.lu[i * n + i]);
            }
        }
    };
}

test "the blocked factorization equals the unblocked reference exactly" {
    const rows = 150;
    const columns = 97;
    var blocked: [rows * columns]f32 = undefined;
    var state: u32 = 12345;
    for (&blocked) |*x| {
        state = state *% 1664525 +% 1013904223;
        x.* = @as(f32, @floatFromInt(state >> 8)) / (1 << 23) - 1;
    }
    var reference = blocked;
    var pivots_blocked: [columns]u32 = undefined;
    var pivots_reference: [columns]u32 = undefined;
    const none: ?usize = null;
    try std.testing.expectEqual(none, factor(f32, &blocked, rows, columns, &pivots_blocked, true));
    const reference_result = factorUnblocked(f32, &reference, rows, columns, &pivots_reference);
    try std.testing.expectEqual(none, reference_result);
    try std.testing.expectEqualSlices(u32, &pivots_reference, &pivots_blocked);
    try std.testing.expectEqualSlices(f32, &reference, &blocked);
}

test "factor matches getrf on a tall matrix and flags a zero pivot" {
    var a = [_]f64{ 1, 2, 4, 5, 7, 8 };
    var pivots: [2]u32 = undefined;
    try std.testing.expectEqual(@as(?usize, null), factor(f64, &a, 3, 2, &pivots, false));
    try std.testing.expectEqualSlices(u32, &.{ 2, 2 }, &pivots);
    try std.testing.expectApproxEqAbs(@as(f64, 1.0 / 7.0), a[2], 1e-15);
    try std.testing.expectApproxEqAbs(@as(f64, 6.0 / 7.0), a[3], 1e-15);
    var indices: [3]u32 = undefined;
    rowIndices(&pivots, &indices);
    try std.testing.expectEqualSlices(u32, &.{ 1, 2, 0 }, &indices);
    var singular = [_]f32{ 1, 2, 2, 4 };
    var p2: [2]u32 = undefined;
    try std.testing.expectEqual(@as(?usize, 1), factor(f32, &singular, 2, 2, &p2, false));
    try std.testing.expectEqualSlices(f32, &.{ 2, 4, 0.5, 0 }, &singular);
}
