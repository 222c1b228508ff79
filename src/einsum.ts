/**
 * einsum and einsumPath: Einstein summation composed from views, sums, products and matmul,
 * with MLX's contraction-order optimisation (NumPy's greedy path: repeatedly contract the pair
 * of operands that removes the most elements, cheapest first on ties).
 *
 * @module
 */

import { MxArray } from "./array.ts";
import { checkStream, type OpOptions } from "./device.ts";
import { multiply } from "./elementwise.ts";
import { MxError } from "./errors.ts";
import { diagonal } from "./indexing.ts";
import { matmul } from "./linalg_basic.ts";
import { sum } from "./reductions.ts";
import { broadcastTo, reshape, transpose } from "./shapes.ts";

/** A term of a contraction: its subscript letters in axis order. */
interface Term {
  str: string;
  set: Set<string>;
}

/** One step of a contraction path: which current operands it consumes and what it makes. */
interface PathStep {
  inputs: Term[];
  output: Term;
  positions: number[];
}

interface PathInfo {
  naiveCost: number;
  naiveScaling: number;
  optimizedCost: number;
  optimizedScaling: number;
}

function term(str: string): Term {
  return { str, set: new Set(str) };
}

function fail(op: string, message: string): never {
  throw new MxError("invalid_argument", `[${op}] ${message}`);
}

/** Splits `"ij,jk->ik"` into input and output subscripts; without `->` the output is the
 * letters used once, in alphabetical order (uppercase first), after any ellipsis. */
function parse(subscripts: string): { inputs: string[]; output: string } {
  const text = subscripts.replaceAll(" ", "");
  const arrow = text.indexOf("->");
  if (arrow >= 0) {
    return { inputs: text.slice(0, arrow).split(","), output: text.slice(arrow + 2) };
  }
  const counts = new Map<string, number>();
  let ellipsis = "";
  for (const c of text) {
    if (c === ",") continue;
    if (c === ".") {
      ellipsis = "...";
      continue;
    }
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const once = [...counts].filter(([, n]) => n === 1).map(([c]) => c).sort();
  return { inputs: text.split(","), output: ellipsis + once.join("") };
}

function isLetter(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

/** The product of the sizes of a term's letters. */
function termSize(letters: Iterable<string>, dims: Map<string, number>): number {
  let size = 1;
  for (const c of letters) size *= dims.get(c)!;
  return size;
}

function flopCount(
  letters: Set<string>,
  inner: boolean,
  termCount: number,
  dims: Map<string, number>,
): number {
  return termSize(letters, dims) * (Math.max(1, termCount - 1) + (inner ? 1 : 0));
}

function costAndScaling(inputs: Term[], output: Term, dims: Map<string, number>): [number, number] {
  const letters = new Set<string>();
  for (const t of inputs) for (const c of t.set) letters.add(c);
  const inner = [...letters].some((c) => !output.set.has(c));
  return [flopCount(letters, inner, inputs.length, dims), letters.size];
}

/** The letters of a pair's result: those still needed by the other operands or the output,
 * ordered by size (then by first appearance) as MLX orders them. */
function pairResult(
  inputs: Term[],
  p1: number,
  p2: number,
  output: Term,
): { letters: Set<string>; union: Set<string> } {
  const union = new Set([...inputs[p1]!.str, ...inputs[p2]!.str]);
  const letters = new Set<string>();
  for (let i = 0; i < inputs.length; i++) {
    if (i === p1 || i === p2) continue;
    for (const c of inputs[i]!.set) if (union.has(c)) letters.add(c);
  }
  for (const c of output.set) if (union.has(c)) letters.add(c);
  return { letters, union };
}

interface Candidate {
  removed: number;
  cost: number;
  letters: Set<string>;
  scaling: number;
  x: number;
  y: number;
}

/** The greedy contraction order (MLX's port of opt_einsum's greedy path). */
function greedyPath(
  inputs: Term[],
  output: Term,
  dims: Map<string, number>,
  costLimit: number,
  memoryLimit: number,
): { path: PathStep[]; cost: number; scaling: number } {
  let pairs: [number, number][] = [];
  for (let i = 0; i < inputs.length; i++) for (let j = i + 1; j < inputs.length; j++) pairs.push([i, j]);
  const path: PathStep[] = [];
  let candidates: Candidate[] = [];
  let cost = 0;
  let scaling = 0;
  const steps = inputs.length - 1;
  for (let step = 0; step < steps; step++) {
    const consider = (p1: number, p2: number): void => {
      const { letters, union } = pairResult(inputs, p1, p2, output);
      const size = termSize(letters, dims);
      if (size > memoryLimit) return;
      const removed = termSize(inputs[p1]!.set, dims) + termSize(inputs[p2]!.set, dims) - size;
      const pairCost = flopCount(union, union.size > letters.size, 2, dims);
      if (cost + pairCost > costLimit) return;
      candidates.push({ removed, cost: pairCost, letters, scaling: union.size, x: p1, y: p2 });
    };
    const disjoint = (a: Set<string>, b: Set<string>): boolean => [...a].every((c) => !b.has(c));
    for (const [p1, p2] of pairs) {
      if (!disjoint(inputs[p1]!.set, inputs[p2]!.set)) consider(p1, p2);
    }
    if (candidates.length === 0) { for (const [p1, p2] of pairs) consider(p1, p2); }
    if (candidates.length === 0) {
      // Nothing worth contracting pairwise: the rest in one naive step.
      const [restCost, restScaling] = costAndScaling(inputs, output, dims);
      path.push({ inputs, output, positions: inputs.map((_, i) => i) });
      cost += restCost;
      scaling = Math.max(scaling, restScaling);
      break;
    }
    let best = candidates[0]!;
    for (const c of candidates) {
      if (c.removed > best.removed || (c.removed === best.removed && c.cost < best.cost)) best = c;
    }
    scaling = Math.max(scaling, best.scaling);
    const order = [...best.letters].sort((u, v) => dims.get(u)! - dims.get(v)!);
    const made = term(order.join(""));
    path.push({ inputs: [inputs[best.x]!, inputs[best.y]!], output: made, positions: [best.x, best.y] });
    inputs = inputs.filter((_, i) => i !== best.x && i !== best.y);
    inputs.push(made);
    const shift = (p: number): number => p - (p > best.x ? 1 : 0) - (p > best.y ? 1 : 0);
    candidates = candidates
      .filter((c) => c.x !== best.x && c.x !== best.y && c.y !== best.x && c.y !== best.y)
      .map((c) => ({ ...c, x: shift(c.x), y: shift(c.y) }));
    pairs = [];
    for (let i = 0; i < inputs.length - 1; i++) pairs.push([i, inputs.length - 1]);
    cost += best.cost;
  }
  return { path, cost, scaling };
}

/** Parses and validates a contraction against its operands and plans its path. */
function plan(
  op: string,
  subscripts: string,
  operands: readonly MxArray[],
): { path: PathStep[]; info: PathInfo } {
  if (typeof subscripts !== "string") fail(op, `subscripts must be a string; got ${typeof subscripts}`);
  if (operands.length === 0) fail(op, "at least one operand is required");
  operands.forEach((x, i) => {
    if (!(x instanceof MxArray)) fail(op, `operand ${i} must be an MxArray; got ${typeof x}`);
    x.handle(op); // throws, naming the op, for a disposed array
  });
  const parsed = parse(subscripts);
  if (parsed.inputs.length !== operands.length) {
    fail(op, `${operands.length} operands for ${parsed.inputs.length} input subscripts in '${subscripts}'`);
  }
  // Ellipses become letters not used elsewhere, taken from the end of a-z A-Z, so operands
  // with fewer dimensions broadcast from the left.
  const used = new Set(subscripts);
  const spare = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"].filter((c) => !used.has(c));
  let ellipsisMax = 0;
  const expand = (subscript: string, ndim: number | null, index: number): string => {
    let before = 0;
    let after = 0;
    let at = -1;
    for (let i = 0; i < subscript.length; i++) {
      const c = subscript[i]!;
      if (isLetter(c)) {
        if (at >= 0) after++;
        else before++;
        continue;
      }
      if (subscript.slice(i, i + 3) !== "...") {
        fail(op, `subscripts must be letters; got '${c}' in '${subscript}'`);
      }
      if (at >= 0) fail(op, `only one ellipsis per subscript is allowed; '${subscript}' has more`);
      at = i;
      i += 2;
    }
    if (at < 0) return subscript;
    let length = ellipsisMax;
    if (ndim !== null) {
      length = ndim - before - after;
      if (length < 0) {
        fail(
          op,
          `operand ${index} has ${ndim} dimensions, fewer than the ${
            before + after
          } that '${subscript}' names`,
        );
      }
      ellipsisMax = Math.max(ellipsisMax, length);
    }
    if (length > spare.length) {
      fail(op, `the ellipsis needs ${length} letters; only ${spare.length} are unused`);
    }
    return subscript.slice(0, at) + spare.slice(spare.length - length).join("") + subscript.slice(at + 3);
  };
  const inputStrs = parsed.inputs.map((s, i) => expand(s, operands[i]!.ndim, i));
  const outputStr = expand(parsed.output, null, -1);
  const output = term(outputStr);
  if (output.set.size !== outputStr.length) fail(op, `repeated subscripts in the output '${parsed.output}'`);

  const dims = new Map<string, number>();
  const inputs = inputStrs.map((str, i) => {
    const shape = operands[i]!.shape;
    if (str.length !== shape.length) {
      fail(
        op,
        `subscript '${
          parsed.inputs[i]
        }' names ${str.length} dimensions but operand ${i} has shape [${shape}]`,
      );
    }
    const local = new Map<string, number>();
    for (let j = 0; j < str.length; j++) {
      const c = str[j]!;
      const d = shape[j]!;
      const seen = local.get(c);
      if (seen !== undefined && seen !== d) {
        fail(
          op,
          `repeated subscript '${c}' of operand ${i} spans dimensions of different sizes (${seen} != ${d})`,
        );
      }
      local.set(c, d);
      const size = dims.get(c);
      if (size !== undefined && size !== 1 && d !== 1 && size !== d) {
        throw new MxError(
          "shape_mismatch",
          `[${op}] cannot broadcast dimension ${j} of operand ${i} (shape [${shape}]) to size ${size} for subscript '${c}'`,
        );
      }
      dims.set(c, Math.max(size ?? 1, d));
    }
    return term(str);
  });
  for (const c of output.str) {
    if (!dims.has(c)) fail(op, `output subscript '${c}' does not appear in any input`);
  }
  let memoryLimit = termSize(output.str, dims);
  for (const t of inputs) memoryLimit = Math.max(memoryLimit, termSize(t.str, dims));
  const [naiveCost, naiveScaling] = costAndScaling(inputs, output, dims);
  if (inputs.length <= 2) {
    return {
      path: [{ inputs, output, positions: inputs.map((_, i) => i) }],
      info: { naiveCost, naiveScaling, optimizedCost: naiveCost, optimizedScaling: naiveScaling },
    };
  }
  const greedy = greedyPath(inputs, output, dims, naiveCost, memoryLimit);
  greedy.path[greedy.path.length - 1]!.output = output;
  return {
    path: greedy.path,
    info: { naiveCost, naiveScaling, optimizedCost: greedy.cost, optimizedScaling: greedy.scaling },
  };
}

/** Arrays made while contracting, disposed at the end except the result. */
class Scratch {
  readonly made: MxArray[] = [];
  keep(a: MxArray): MxArray {
    this.made.push(a);
    return a;
  }
  disposeAllBut(result: MxArray | null): void {
    for (const a of this.made) if (a !== result) a.dispose();
  }
}

/** Takes the diagonal over each repeated letter (`"ii"` -> `"i"`), updating the term. */
function collapseRepeats(x: MxArray, t: Term, scratch: Scratch): [MxArray, Term] {
  let str = t.str;
  for (;;) {
    const c = [...str].find((ch, i) => str.indexOf(ch) !== i);
    if (c === undefined) return [x, term(str)];
    const first = str.indexOf(c);
    const second = str.indexOf(c, first + 1);
    x = scratch.keep(diagonal(x, { axis1: first, axis2: second }));
    str = [...str].filter((_, i) => i !== first && i !== second).join("") + c;
  }
}

/** Collapses repeated letters and sums letters that no other term of the step (nor its output)
 * uses, as MLX does before contracting. */
function preprocess(step: PathStep, operands: MxArray[], scratch: Scratch): void {
  step.inputs = step.inputs.map((t, i) => {
    const position = step.positions[i]!;
    if (t.set.size === t.str.length) return t;
    const [x, collapsed] = collapseRepeats(operands[position]!, t, scratch);
    operands[position] = x;
    return collapsed;
  });
  const counts = new Map<string, number>();
  for (const t of [...step.inputs, step.output]) {
    for (const c of t.set) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  step.inputs = step.inputs.map((t, i) => {
    const axes = [...t.str].flatMap((c, axis) => (counts.get(c) === 1 ? [axis] : []));
    if (axes.length === 0) return t;
    const position = step.positions[i]!;
    operands[position] = scratch.keep(sum(operands[position]!, { axis: axes }));
    return term([...t.str].filter((c) => counts.get(c) !== 1).join(""));
  });
}

/** Whether a step is a pairwise contraction that matmul can do. */
function canDot(step: PathStep): boolean {
  return step.inputs.length === 2 && [...step.inputs[0]!.set].some((c) => !step.output.set.has(c));
}

/** A pairwise contraction as a batched matmul: batch letters (in both and kept), free letters
 * of each side, contracted letters; broadcast size-1 dimensions first. */
function dot(step: PathStep, a: MxArray, b: MxArray, scratch: Scratch): MxArray {
  const [ta, tb] = step.inputs as [Term, Term];
  const out = step.output;
  const aContract: number[] = [];
  const aBatch: number[] = [];
  const aFree: number[] = [];
  [...ta.str].forEach((c, i) => {
    if (!out.set.has(c)) aContract.push(i);
    else if (tb.set.has(c)) aBatch.push(i);
    else aFree.push(i);
  });
  const bContract = aContract.map((i) => tb.str.indexOf(ta.str[i]!));
  const bBatch = aBatch.map((i) => tb.str.indexOf(ta.str[i]!));
  const bFree = [...tb.str].flatMap((c, i) => (out.set.has(c) && !ta.set.has(c) ? [i] : []));

  const shapeA = [...a.shape];
  const shapeB = [...b.shape];
  for (
    const [ia, ib] of [
      ...aContract.map((x, k) => [x, bContract[k]!]),
      ...aBatch.map((x, k) => [x, bBatch[k]!]),
    ]
  ) {
    const d = Math.max(shapeA[ia!]!, shapeB[ib!]!);
    shapeA[ia!] = d;
    shapeB[ib!] = d;
  }
  if (shapeA.some((d, i) => d !== a.shape[i])) a = scratch.keep(broadcastTo(a, shapeA));
  if (shapeB.some((d, i) => d !== b.shape[i])) b = scratch.keep(broadcastTo(b, shapeB));

  const size = (shape: number[], axes: number[]): number => axes.reduce((n, axis) => n * shape[axis]!, 1);
  const arrange = (x: MxArray, shape: number[], batch: number[], mid: number[], last: number[]): MxArray => {
    const moved = scratch.keep(transpose(x, { axes: [...batch, ...mid, ...last] }));
    return scratch.keep(
      reshape(moved, [...batch.map((axis) => shape[axis]!), size(shape, mid), size(shape, last)]),
    );
  };
  const left = arrange(a, shapeA, aBatch, aFree, aContract);
  const right = arrange(b, shapeB, bBatch, bContract, bFree);
  const product = scratch.keep(matmul(left, right));
  const letters = [
    ...aBatch.map((i) => ta.str[i]!),
    ...aFree.map((i) => ta.str[i]!),
    ...bFree.map((i) => tb.str[i]!),
  ];
  const shaped = scratch.keep(reshape(product, [
    ...aBatch.map((i) => shapeA[i]!),
    ...aFree.map((i) => shapeA[i]!),
    ...bFree.map((i) => shapeB[i]!),
  ]));
  return scratch.keep(transpose(shaped, { axes: [...out.str].map((c) => letters.indexOf(c)) }));
}

/** Any step by broadcasting: align every operand on one letter order, multiply, sum the
 * letters the output drops, order as the output. */
function naive(step: PathStep, operands: MxArray[], scratch: Scratch): MxArray {
  const letters: string[] = [];
  for (const t of step.inputs) for (const c of t.str) if (!letters.includes(c)) letters.push(c);
  let product: MxArray | null = null;
  step.inputs.forEach((t, i) => {
    let x = operands[step.positions[i]!]!;
    if (x.ndim !== letters.length) {
      x = scratch.keep(reshape(x, [...x.shape, ...Array(letters.length - x.ndim).fill(1)]));
    }
    const own = [...t.str];
    const missing = letters.filter((c) => !t.set.has(c));
    const axisOf = (c: string): number => (t.set.has(c) ? own.indexOf(c) : own.length + missing.indexOf(c));
    const axes = letters.map(axisOf);
    if (axes.some((axis, k) => axis !== k)) x = scratch.keep(transpose(x, { axes }));
    product = product === null ? x : scratch.keep(multiply(product, x));
  });
  let result = product!;
  const summed = letters.flatMap((c, axis) => (step.output.set.has(c) ? [] : [axis]));
  if (summed.length > 0) result = scratch.keep(sum(result, { axis: summed }));
  const kept = letters.filter((c) => step.output.set.has(c));
  const axes = [...step.output.str].map((c) => kept.indexOf(c));
  return scratch.keep(axes.every((axis, k) => axis === k) ? result : transpose(result, { axes }));
}

/**
 * Einstein summation over the operands, as `numpy.einsum` / `mx.einsum`: `"ij,jk->ik"` is a
 * matrix product, `"ii->i"` a diagonal, `"ij->"` a total sum, `"bij,bjk->bik"` a batched
 * product; `...` stands for leading broadcast dimensions. Without `->` the output is the
 * letters used once, in alphabetical order. With three or more operands the contraction order
 * is optimised (MLX's greedy path: see `einsumPath`); pairwise contractions run as matmuls.
 *
 * @param subscripts The contraction, e.g. `"ij,jk->ik"`.
 * @param args The arrays, one per input subscript, optionally followed by options (`stream`).
 * @returns The result (lazy).
 * @throws {MxError} for subscripts that are not letters or `...`, a subscript count that does
 *   not match an operand's dimensions, sizes that do not broadcast, repeated output letters.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const a = mx.array([[1, 2], [3, 4]]);
 * console.log(mx.einsum("ij,jk->ik", a, a).tolist()); // [[7, 10], [15, 22]]
 * console.log(mx.einsum("ii", a).item(), mx.einsum("ij->j", a, { stream: mx.cpu }).tolist()); // 5 [4, 6]
 * ```
 */
export function einsum(subscripts: string, ...args: [...MxArray[], OpOptions] | MxArray[]): MxArray {
  const [operands, options] = splitOptions(args);
  checkStream("einsum", options.stream);
  const { path } = plan("einsum", subscripts, operands);
  const current = [...operands];
  const scratch = new Scratch();
  try {
    for (const step of path) {
      preprocess(step, current, scratch);
      const made = canDot(step)
        ? dot(step, current[step.positions[0]!]!, current[step.positions[1]!]!, scratch)
        : naive(step, current, scratch);
      current.push(made);
      for (const position of [...step.positions].sort((x, y) => y - x)) current.splice(position, 1);
    }
  } catch (error) {
    scratch.disposeAllBut(null);
    throw error;
  }
  const result = current[0]!;
  scratch.disposeAllBut(result);
  // A contraction that made nothing new (e.g. "ij->ij") returns a fresh view, never the input.
  return operands.includes(result) ? transpose(result, { axes: [...result.shape.keys()] }) : result;
}

/** Separates trailing options from the operands of `einsum`. */
function splitOptions(args: readonly (MxArray | OpOptions)[]): [MxArray[], OpOptions] {
  const last = args[args.length - 1];
  if (
    last !== undefined && last !== null && typeof last === "object" && !(last instanceof MxArray) &&
    !Array.isArray(last)
  ) {
    return [args.slice(0, -1) as MxArray[], last];
  }
  return [args as MxArray[], {}];
}

/**
 * The contraction order `einsum` would use, as MLX's `einsum_path`: the list of operand
 * positions each step contracts (positions into the current operand list, where each step's
 * result is appended at the end), and a summary of naive and optimised FLOP counts.
 *
 * @param subscripts The contraction, e.g. `"ij,jk,kl->il"`.
 * @param operands The arrays (only their shapes are used).
 * @returns `[path, summary]`.
 *
 * @example
 * ```ts
 * import * as mx from "mlx-ts";
 * const [path] = mx.einsumPath("ij,jk,kl->il", mx.zeros([2, 50]), mx.zeros([50, 60]), mx.zeros([60, 3]));
 * console.log(path); // [ [ 1, 2 ], [ 0, 1 ] ]
 * ```
 */
export function einsumPath(subscripts: string, ...operands: MxArray[]): [number[][], string] {
  const { path, info } = plan("einsum_path", subscripts, operands);
  const summary = `  Complete contraction:  ${subscripts}\n` +
    `         Naive scaling:  ${info.naiveScaling}\n` +
    `     Optimized scaling:  ${info.optimizedScaling}\n` +
    `      Naive FLOP count:  ${info.naiveCost}\n` +
    `  Optimized FLOP count:  ${info.optimizedCost}\n`;
  return [path.map((step) => step.positions), summary];
}
