/**
 * MLX's printed form of arrays: `array([[1, 2],\n       [3, 4]], dtype=int32)`, floats in
 * C++'s default (`%g`) form, and `...` elision past 1000 elements.
 *
 * @module
 */

import type { Dtype } from "./dtype.ts";
import type { Complex, NestedList, Scalar } from "./host.ts";

/** Arrays with more elements than this are elided. */
const elideThreshold = 1000;
/** Elements shown at each end of an elided axis. */
const edgeItems = 3;

/** Formats a number as C++ streams do by default: 6 significant digits, `%g` style. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const exponent = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (exponent < -4 || exponent >= 6) {
    const [mantissa, exp] = x.toExponential(5).split("e") as [string, string];
    const sign = exp.startsWith("-") ? "-" : "+";
    const digits = exp.replace(/^[+-]/, "").padStart(2, "0");
    return `${stripZeros(mantissa)}e${sign}${digits}`;
  }
  return stripZeros(x.toFixed(Math.max(0, 5 - exponent)));
}

function stripZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

function formatScalar(value: Scalar): string {
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return formatNumber(value);
  const c = value as Complex;
  return `${formatNumber(c.re)}${c.im < 0 || Object.is(c.im, -0) ? "-" : "+"}${formatNumber(Math.abs(c.im))}j`;
}

/** The printed form of an array given its nested elements, shape and dtype. */
export function formatArray(list: NestedList, shape: readonly number[], dtype: Dtype): string {
  const size = shape.reduce((a, b) => a * b, 1);
  const elide = size > elideThreshold;
  const indent = "array(".length;
  const body = formatLevel(list, shape, 0, indent, elide);
  return `array(${body}, dtype=${dtype.name})`;
}

function formatLevel(
  node: NestedList,
  shape: readonly number[],
  depth: number,
  indent: number,
  elide: boolean,
): string {
  if (depth === shape.length) return formatScalar(node as Scalar);
  const items = node as NestedList[];
  const dim = shape[depth]!;
  const parts: string[] = [];
  const push = (i: number) => parts.push(formatLevel(items[i]!, shape, depth + 1, indent + 1, elide));
  if (elide && dim > 2 * edgeItems) {
    for (let i = 0; i < edgeItems; i++) push(i);
    parts.push("...");
    for (let i = dim - edgeItems; i < dim; i++) push(i);
  } else {
    for (let i = 0; i < dim; i++) push(i);
  }
  const innermost = depth === shape.length - 1;
  const separator = innermost ? ", " : `,\n${" ".repeat(indent + 1)}`;
  return `[${parts.join(separator)}]`;
}
