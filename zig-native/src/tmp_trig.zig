const std = @import("std");
const vmath = @import("backend/cpu/vmath.zig");
const V = @Vector(16, f32);
pub fn main() !void {
    inline for (.{ "sin", "cos" }) |name| {
        var worst: u64 = 0;
        var worst_x: f32 = 0;
        var hist = [_]u64{0} ** 4;
        var bits: u32 = 0;
        const last: u32 = @bitCast(@as(f32, 70000.0));
        while (bits < last) : (bits += 16) {
            var xs: [16]f32 = undefined;
            for (&xs, 0..) |*x, i| x.* = @bitCast(bits + @as(u32, @intCast(i)));
            const ys: [16]f32 = @field(vmath, name)(@as(V, xs));
            for (xs, ys) |x, y| {
                const w: f64 = x;
                const ref: f32 = @floatCast(if (comptime std.mem.eql(u8, name, "sin")) @sin(w) else @cos(w));
                const d = vmath.ulpDistance(f32, y, ref);
                hist[@min(d, 3)] += 1;
                if (d > worst) { worst = d; worst_x = x; }
            }
        }
        std.debug.print("{s}: worst {d} ulp at {e}; hist {any}\n", .{ name, worst, worst_x, hist });
    }
}
