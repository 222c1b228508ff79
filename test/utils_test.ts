/**
 * mx.utils tree helpers: MLX's semantics (values checked against mlx.utils in Python),
 * arrays as leaves, isLeaf, list gaps, merge errors.
 */

import * as mx from "mlx-ts";
import { assertEquals, assertThrows, test } from "./harness.ts";

test("treeFlatten and treeUnflatten round-trip trees with array leaves, as mlx.utils does", () => {
  using w = mx.array([1, 2]);
  using b = mx.array(0);
  const params = { layers: [{ w, b }, { w }], scale: 2 };
  const flat = mx.utils.treeFlatten(params);
  assertEquals(flat.map(([path]) => path), ["layers.0.w", "layers.0.b", "layers.1.w", "scale"]);
  const back = mx.utils.treeUnflatten(flat) as typeof params;
  assertEquals(back.layers[0]!.w === w && back.layers[1]!.w === w && back.scale === 2, true);
  // mlx.utils: tree_unflatten([("a.2", 1), ("a.0", 2)]) == {'a': [2, {}, 1]}
  assertEquals(mx.utils.treeUnflatten([["a.2", 1], ["a.0", 2]]), { a: [2, {}, 1] });
  // "01" and "1" are different keys: an object, not a list
  assertEquals(mx.utils.treeUnflatten([["a.01", 1], ["a.1", 2]]), { a: { "01": 1, "1": 2 } });
  assertEquals(mx.utils.treeUnflatten({ "hello.world": 42 }), { hello: { world: 42 } });
  assertEquals(mx.utils.treeUnflatten([["", 7]]), 7);
  // mlx.utils: tree_flatten([[[0]]], prefix=".hello") == [("hello.0.0.0", 0)]
  assertEquals(mx.utils.treeFlatten([[[0]]], { prefix: ".hello" }), [["hello.0.0.0", 0]]);
  assertEquals(mx.utils.treeFlatten({ x: [1, { y: 2 }] }, { isLeaf: (v) => Array.isArray(v) }), [["x", [1, {
    y: 2,
  }]]]);
});

test("treeMap, treeMapWithPath, treeReduce and treeMerge follow mlx.utils", () => {
  const a = { w: [1, 2], b: 3 };
  const g = { w: [10, 20], b: 30 };
  assertEquals(mx.utils.treeMap((x, y) => (x as number) - 0.1 * (y as number), a, [g]), { w: [0, 0], b: 0 });
  assertEquals(mx.utils.treeMapWithPath((path) => path, { a: [1, { b: 2 }] }), {
    a: ["a.0", { b: "a.1.b" }],
  });
  assertEquals(
    mx.utils.treeReduce((acc, x) => (acc as number) + (x as number), { a: [1, 2, 3], b: [4, 5] }, 0),
    15,
  );
  assertEquals(mx.utils.treeReduce((acc, x) => Math.max(acc as number, x as number), [3, [9, 2]]), 9);
  assertEquals(mx.utils.treeMerge({ a: 1, b: [2] }, { c: 3, b: [] }), { a: 1, b: [2], c: 3 });
  assertEquals(mx.utils.treeMerge([1, undefined], [undefined, 2]), [1, 2]);
  assertEquals(mx.utils.treeMerge({ a: 1 }, { a: 2 }, (x, y) => (x as number) + (y as number)), { a: 3 });
  assertThrows(
    () => mx.utils.treeMerge({ a: 1 }, { a: 2 }),
    mx.MxError,
    "[tree_merge] trees contain two leaves in the same place",
  );
  assertThrows(
    () => mx.utils.treeMerge([], {}),
    mx.MxError,
    "[tree_merge] cannot merge an array with an object",
  );
});
