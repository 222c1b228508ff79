//! Evaluation of the lazy graph: an iterative post-order walk from the requested arrays
//! collects the unevaluated nodes in dependency order, each runs its kernel, and is detached
//! from its inputs so the graph behind it is freed.

const std = @import("std");
const assert = std.debug.assert;
const errors = @import("errors.zig");
const memory = @import("memory.zig");
const array_mod = @import("array.zig");
const Array = array_mod.Array;
const primitive = @import("primitive.zig");

/// Evaluations are serialized: the walk marks nodes with an epoch that must not interleave.
var eval_mutex: std.Thread.Mutex = .{};
var epoch: u32 = 0;

const Frame = struct { node: *Array, next_input: u32 };

/// Evaluates every array in `roots` and what it depends on.
pub fn eval(roots: []const *Array) errors.Error!void {
    if (array_mod.isCompileTracing()) {
        for (roots) |root| {
            if (root.isTracer() and !root.isEvaluated()) {
                return errors.fail(error.InvalidArgument, "[compile] a compiled function cannot " ++
                    "evaluate or read arrays computed from its inputs (shape {f}); return them " ++
                    "instead", .{root.shape});
            }
        }
    }
    eval_mutex.lock();
    defer eval_mutex.unlock();
    epoch +%= 1;
    if (epoch == 0) epoch = 1; // 0 marks never-visited nodes.

    var order: std.ArrayList(*Array) = .empty;
    defer order.deinit(memory.allocator);
    var stack: std.ArrayList(Frame) = .empty;
    defer stack.deinit(memory.allocator);

    for (roots) |root| {
        try visit(root, &stack);
        while (stack.items.len > 0) {
            const top = &stack.items[stack.items.len - 1];
            if (top.next_input < top.node.inputs.len) {
                const input = top.node.inputs[top.next_input];
                top.next_input += 1;
                try visit(input, &stack);
            } else {
                order.append(memory.allocator, top.node) catch
                    return memory.outOfMemory(@sizeOf(*Array) * (order.items.len + 1));
                stack.items.len -= 1;
            }
        }
    }
    for (order.items) |node| {
        assert(!node.isEvaluated());
        for (node.inputs) |input| assert(input.isEvaluated());
        primitive.evalCpu(node) catch |err| {
            // A kernel that failed (bad index data, allocation) leaves the node lazy.
            node.discardOutput();
            return err;
        };
        // A tracer keeps its graph for the running transform's derivative rules.
        if (!node.isTracer()) node.detach();
    }
}

fn visit(node: *Array, stack: *std.ArrayList(Frame)) errors.Error!void {
    if (node.isEvaluated() or node.visit_epoch == epoch) return;
    node.visit_epoch = epoch;
    stack.append(memory.allocator, .{ .node = node, .next_input = 0 }) catch
        return memory.outOfMemory(@sizeOf(Frame) * (stack.items.len + 1));
}
