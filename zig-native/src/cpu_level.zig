//! x86-64 microarchitecture levels (the psABI's x86-64-v1 ... v4): the level this CPU and its
//! operating system support, read with `cpuid` and `xgetbv`, and the level this library was
//! compiled for. The prebuilt libraries come one file per level; the loader asks the baseline
//! file (`mlxts_cpu_level`) which one this machine runs (ffi/library_choice.ts).
//!
//!   v2: SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, CMPXCHG16B, LAHF/SAHF
//!   v3: v2 + AVX, AVX2, FMA, F16C, BMI1, BMI2, LZCNT, MOVBE, and the OS saving YMM state
//!   v4: v3 + AVX-512F, BW, CD, DQ, VL, and the OS saving opmask and ZMM state
//!
//! 0 means not x86-64 (aarch64 builds have no levels).

const std = @import("std");
const builtin = @import("builtin");
const assert = std.debug.assert;

pub const level_max: u32 = 4;

/// The `cpuid` / `xgetbv` words the levels are decided from.
pub const Registers = struct {
    /// cpuid leaf 1, ecx.
    leaf1_ecx: u32,
    /// cpuid leaf 7 (subleaf 0), ebx; 0 when the CPU has no leaf 7.
    leaf7_ebx: u32,
    /// cpuid leaf 0x80000001, ecx; 0 when the CPU has no such leaf.
    extended1_ecx: u32,
    /// XCR0 (the state components the OS saves); 0 when the OS has not enabled xsave.
    xcr0: u32,
    /// macOS enables AVX-512 state on a thread's first AVX-512 instruction, so XCR0 does not
    /// show it beforehand (LLVM's and Zig's host detection trust the CPU bits there too).
    avx512_state_lazy: bool,
};

fn bit(word: u32, comptime index: u5) bool {
    return (word >> index) & 1 == 1;
}

/// The highest level whose features `registers` all report (at least 1: every x86-64 CPU).
pub fn levelOf(registers: Registers) u32 {
    const ecx = registers.leaf1_ecx;
    const ebx7 = registers.leaf7_ebx;
    const v2 = bit(ecx, 0) and bit(ecx, 9) and bit(ecx, 13) and bit(ecx, 19) and
        bit(ecx, 20) and bit(ecx, 23) and bit(registers.extended1_ecx, 0);
    if (!v2) return 1;
    // XCR0 bit 1: SSE state, bit 2: AVX (upper YMM) state; xgetbv needs OSXSAVE (ecx 27).
    const ymm_saved = bit(ecx, 27) and bit(registers.xcr0, 1) and bit(registers.xcr0, 2);
    const v3 = ymm_saved and bit(ecx, 12) and bit(ecx, 22) and bit(ecx, 28) and
        bit(ecx, 29) and bit(ebx7, 3) and bit(ebx7, 5) and bit(ebx7, 8) and
        bit(registers.extended1_ecx, 5);
    if (!v3) return 2;
    // XCR0 bits 5, 6, 7: opmask, upper halves of ZMM0-15, ZMM16-31.
    const zmm_saved = registers.avx512_state_lazy or
        (bit(registers.xcr0, 5) and bit(registers.xcr0, 6) and bit(registers.xcr0, 7));
    const v4 = zmm_saved and bit(ebx7, 16) and bit(ebx7, 17) and bit(ebx7, 28) and
        bit(ebx7, 30) and bit(ebx7, 31);
    if (!v4) return 3;
    return 4;
}

/// The level this CPU and OS support; 0 when not running x86-64 code.
pub fn supported() u32 {
    if (builtin.cpu.arch != .x86_64) return 0;
    const level = levelOf(readRegisters());
    assert(level >= 1);
    assert(level <= level_max);
    return level;
}

/// The level the library was compiled for (the target's CPU features); 0 when not x86-64.
pub const built: u32 = blk: {
    if (builtin.cpu.arch != .x86_64) break :blk 0;
    const x86 = std.Target.x86;
    const features = builtin.cpu.features;
    const v2 = x86.featureSetHasAll(features, .{ .cx16, .popcnt, .sahf, .sse4_2, .ssse3 });
    if (!v2) break :blk 1;
    const v3 = x86.featureSetHasAll(features, .{
        .avx, .avx2, .bmi, .bmi2, .f16c, .fma, .lzcnt, .movbe,
    });
    if (!v3) break :blk 2;
    const v4 = x86.featureSetHasAll(features, .{
        .avx512f, .avx512bw, .avx512cd, .avx512dq, .avx512vl,
    });
    break :blk if (v4) 4 else 3;
};

const Cpuid = struct { eax: u32, ebx: u32, ecx: u32, edx: u32 };

fn cpuid(leaf: u32, subleaf: u32) Cpuid {
    var eax: u32 = undefined;
    var ebx: u32 = undefined;
    var ecx: u32 = undefined;
    var edx: u32 = undefined;
    asm volatile ("cpuid"
        : [_] "={eax}" (eax),
          [_] "={ebx}" (ebx),
          [_] "={ecx}" (ecx),
          [_] "={edx}" (edx),
        : [_] "{eax}" (leaf),
          [_] "{ecx}" (subleaf),
    );
    return .{ .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx };
}

fn xgetbv0() u32 {
    return asm volatile ("xgetbv"
        : [_] "={eax}" (-> u32),
        : [_] "{ecx}" (@as(u32, 0)),
        : .{ .edx = true });
}

fn readRegisters() Registers {
    const max_leaf = cpuid(0, 0).eax;
    const leaf1_ecx = cpuid(1, 0).ecx;
    const max_extended_leaf = cpuid(0x8000_0000, 0).eax;
    return .{
        .leaf1_ecx = leaf1_ecx,
        .leaf7_ebx = if (max_leaf >= 7) cpuid(7, 0).ebx else 0,
        .extended1_ecx = if (max_extended_leaf >= 0x8000_0001) cpuid(0x8000_0001, 0).ecx else 0,
        // xgetbv faults unless the OS has enabled xsave (OSXSAVE, leaf 1 ecx bit 27).
        .xcr0 = if (bit(leaf1_ecx, 27)) xgetbv0() else 0,
        .avx512_state_lazy = builtin.os.tag.isDarwin(),
    };
}

const testing = std.testing;

// Leaf 1 ecx: SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT.
const v2_ecx: u32 = (1 << 0) | (1 << 9) | (1 << 13) | (1 << 19) | (1 << 20) | (1 << 23);
// + FMA, MOVBE, OSXSAVE, AVX, F16C.
const v3_ecx: u32 = v2_ecx | (1 << 12) | (1 << 22) | (1 << 27) | (1 << 28) | (1 << 29);
const v3_ebx7: u32 = (1 << 3) | (1 << 5) | (1 << 8); // BMI1, AVX2, BMI2
const v4_ebx7: u32 = v3_ebx7 | (1 << 16) | (1 << 17) | (1 << 28) | (1 << 30) | (1 << 31);
const lahf_lzcnt: u32 = (1 << 0) | (1 << 5);
const xcr0_ymm: u32 = 0b111; // x87, SSE, AVX
const xcr0_zmm: u32 = xcr0_ymm | 0b1110_0000; // + opmask, ZMM_Hi256, Hi16_ZMM

fn withBits(ecx: u32, ebx7: u32, xcr0: u32) Registers {
    return .{
        .leaf1_ecx = ecx,
        .leaf7_ebx = ebx7,
        .extended1_ecx = lahf_lzcnt,
        .xcr0 = xcr0,
        .avx512_state_lazy = false,
    };
}

test "levelOf: each level's features, and the OS state they need" {
    try testing.expectEqual(1, levelOf(withBits(0, 0, 0)));
    try testing.expectEqual(1, levelOf(withBits(v2_ecx & ~@as(u32, 1 << 23), 0, 0)));
    try testing.expectEqual(2, levelOf(withBits(v2_ecx, 0, 0)));
    try testing.expectEqual(3, levelOf(withBits(v3_ecx, v3_ebx7, xcr0_ymm)));
    try testing.expectEqual(4, levelOf(withBits(v3_ecx, v4_ebx7, xcr0_zmm)));
    // AVX2 bits without the OS saving YMM state (or without OSXSAVE) are not v3.
    try testing.expectEqual(2, levelOf(withBits(v3_ecx, v4_ebx7, 0b011)));
    try testing.expectEqual(2, levelOf(withBits(v3_ecx & ~@as(u32, 1 << 27), v4_ebx7, xcr0_zmm)));
    // AVX-512 bits without ZMM state are v3; macOS enables that state lazily.
    try testing.expectEqual(3, levelOf(withBits(v3_ecx, v4_ebx7, xcr0_ymm)));
    var lazy = withBits(v3_ecx, v4_ebx7, xcr0_ymm);
    lazy.avx512_state_lazy = true;
    try testing.expectEqual(4, levelOf(lazy));
    // AVX-512F without BW/DQ/VL (Knights Landing) is v3.
    try testing.expectEqual(3, levelOf(withBits(v3_ecx, v3_ebx7 | (1 << 16), xcr0_zmm)));
    // No LZCNT (leaf 0x80000001 ecx bit 5) is v2.
    var no_lzcnt = withBits(v3_ecx, v4_ebx7, xcr0_zmm);
    no_lzcnt.extended1_ecx = 1;
    try testing.expectEqual(2, levelOf(no_lzcnt));
}

test "supported: this machine runs the level the tests were compiled for" {
    if (builtin.cpu.arch != .x86_64) return error.SkipZigTest;
    try testing.expect(supported() >= built);
    try testing.expect(built >= 1);
}
