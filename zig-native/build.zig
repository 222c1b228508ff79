//! Builds the native library `mlxts` (a shared library loaded by Deno and Bun) and its tests.
//!
//!   zig build                       library for the host, into zig-out/lib
//!   zig build -Dtarget=aarch64-macos  library for another target
//!   zig build test                  unit tests

const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    // Release by default: the library is what users run. `-Doptimize=Debug` for debugging.
    const optimize = b.option(std.builtin.OptimizeMode, "optimize", "Optimization mode " ++
        "(default ReleaseFast)") orelse .ReleaseFast;

    const module = b.createModule(.{
        .root_source_file = b.path("src/abi.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
        .strip = b.option(bool, "strip", "Strip symbols (default: unless Debug)") orelse (optimize != .Debug),
    });
    const library = b.addLibrary(.{
        .name = "mlxts",
        .linkage = .dynamic,
        .root_module = module,
    });
    b.installArtifact(library);

    const test_module = b.createModule(.{
        .root_source_file = b.path("src/abi.zig"),
        .target = target,
        .optimize = .Debug,
        .link_libc = true,
    });
    const tests = b.addTest(.{ .root_module = test_module });
    const run_tests = b.addRunArtifact(tests);
    b.step("test", "Run the native unit tests").dependOn(&run_tests.step);
}
