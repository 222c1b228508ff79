/**
 * The conv2d benchmark cases, shared by conv.ts and (as JSON, `deno run conv_cases.ts`)
 * conv_reference.py.
 *
 * @module
 */

export interface ConvBenchCase {
  name: string;
  input: number[];
  weight: number[];
  stride: number;
  padding: number;
  rounds: number;
  /** 2 * multiply-adds of the convolution. */
  flops: number;
}

function make(n: number, size: number, cin: number, cout: number, k: number, stride: number): ConvBenchCase {
  const padding = (k - 1) >> 1;
  const out = Math.floor((size + 2 * padding - k) / stride) + 1;
  return {
    name: `conv2d f32 N${n} ${size}x${size} ${cin}->${cout} ${k}x${k}${stride > 1 ? ` s${stride}` : ""}`,
    input: [n, size, size, cin],
    weight: [cout, k, k, cin],
    stride,
    padding,
    rounds: 5,
    flops: 2 * n * out * out * cout * k * k * cin,
  };
}

export const cases: ConvBenchCase[] = [
  make(8, 32, 64, 64, 3, 1),
  make(8, 56, 64, 64, 3, 1),
  make(8, 56, 64, 64, 1, 1),
  make(8, 56, 64, 128, 3, 2),
];

if (import.meta.main) console.log(JSON.stringify(cases));
