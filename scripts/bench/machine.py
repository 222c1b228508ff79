"""The machine's peak figures for the benchmark table, as one JSON line {lines, cores, flops,
bandwidth, load}: the theoretical FLOP/s per dtype from /proc/cpuinfo (cores x clock x FMA
lanes x 2), the memory bandwidth measured now (STREAM-style read, copy and triad in PyTorch on
every core) and the load average. scripts/bench/run measures at the start and at the end.
"""

import json
import os
import time

import torch


def cpuinfo():
    """The first processor's fields of /proc/cpuinfo."""
    fields = {}
    for line in open("/proc/cpuinfo"):
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def fma_lanes(vendor, family, flags):
    """float32 multiply-adds per cycle per core, and the assumption behind the number."""
    if "avx512f" in flags:
        if vendor == "AuthenticAMD" and family <= 25:
            return 16, "AVX-512 on Zen 4 (family 25): two 256-bit FMA pipes, 512-bit ops double-pumped"
        return 32, "AVX-512: two 512-bit FMA units"
    if "avx2" in flags and "fma" in flags:
        return 16, "AVX2 + FMA: two 256-bit FMA units"
    if "avx" in flags:
        return 8, "AVX without FMA: one 256-bit multiply and one add per cycle"
    return 4, "SSE: one 128-bit multiply and one add per cycle"


def clock_ghz(fields):
    """The highest clock the kernel reports (cpufreq's maximum), else /proc/cpuinfo's cpu MHz."""
    path = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"
    if os.path.exists(path):
        return int(open(path).read()) / 1e6, "cpufreq cpuinfo_max_freq"
    return float(fields.get("cpu MHz", "0")) / 1e3, "/proc/cpuinfo cpu MHz, boost not counted"


def bandwidth(threads):
    """GB/s of a read (sum b), a copy (a = b) and a triad (a = b + 3c) over 256 MiB float32
    arrays, best of 30 each, counted as STREAM does (4, 8 and 12 bytes per element: reads and
    writes, no write-allocate)."""
    torch.set_num_threads(threads)
    n = 1 << 26
    a, b, c = torch.empty(n), torch.rand(n), torch.rand(n)

    def best(body):
        body()
        times = []
        for _ in range(30):
            start = time.perf_counter()
            body()
            times.append(time.perf_counter() - start)
        return min(times)

    return {
        "read": 4 * n / best(lambda: torch.sum(b)) / 1e9,
        "copy": 8 * n / best(lambda: a.copy_(b)) / 1e9,
        "triad": 12 * n / best(lambda: torch.add(b, c, alpha=3.0, out=a)) / 1e9,
    }


def main():
    fields = cpuinfo()
    flags = set(fields.get("flags", "").split())
    cores = len(os.sched_getaffinity(0))
    lanes, why = fma_lanes(fields.get("vendor_id", ""), int(fields.get("cpu family", "0")), flags)
    ghz, clock_source = clock_ghz(fields)
    flops = cores * ghz * lanes * 2
    # avx512_bf16's vdpbf16ps does two bfloat16 multiply-adds per float32 lane; float16 has no
    # arithmetic on this class of CPU (converted to float32).
    bf16 = 2 if "avx512_bf16" in flags else 1
    isa = " ".join(f for f in ("avx512f", "avx512_bf16", "avx2", "fma", "f16c") if f in flags)
    lines = [
        f"machine: {fields.get('model name', '?')}, {cores} cores, flags {isa}",
        f"peak f32: {cores} cores x {ghz:.2f} GHz ({clock_source}) x {lanes} FMA lanes x 2 = {flops:.0f} GFLOP/s"
        f" ({why}); bf16 {bf16}x that" + (" (avx512_bf16 dot products)" if bf16 > 1 else ""),
    ]
    flops_by_dtype = {"float32": flops, "float16": flops, "bfloat16": bf16 * flops}
    record = {"lines": lines, "cores": cores, "flops": flops_by_dtype, "bandwidth": bandwidth(cores),
              "load": os.getloadavg()[0]}
    print(json.dumps(record))


if __name__ == "__main__":
    main()
