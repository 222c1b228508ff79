/**
 * The real pretrained stories260K (llama2.c format, ../shared/models/stories260K, never
 * committed) against llama2.c's own C code (test/fixtures/llama2c.json, made by
 * scripts/fixtures/gen_llama2c.py): tokenizer encodings, greedy generations from BOS (the
 * README's golden text) and from a prompt, word for word. Malformed files raise MxError.
 * Without ../shared the model tests are skipped with a message.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "mlx-ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";
import { loadJson } from "./fixtures.ts";

const sharedDir = decodeURIComponent(new URL("../../shared/models/stories260K/", import.meta.url).pathname);
const modelPath = join(sharedDir, "stories260K.bin");
const tokenizerPath = join(sharedDir, "tok512.bin");
const golden =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.";

interface Fixture {
  encode: { text: string; ids: number[] }[];
  greedy: { steps: number; text: string };
  prompted: { prompt: string; steps: number; text: string };
}
const fixture = loadJson<Fixture>("llama2c.json");

if (!existsSync(modelPath) || !existsSync(tokenizerPath)) {
  test("stories260K: skipped", () => {
    console.log(`stories260K tests skipped: ${sharedDir} is absent (the model is not committed; see ../shared/models)`);
  });
} else {
  const model = mx.models.loadLlama2c(modelPath);
  const tokenizer = mx.models.Llama2cTokenizer.fromFile(tokenizerPath);

  test("stories260K: the tokenizer encodes as llama2.c does and decodes back", () => {
    for (const { text, ids } of fixture.encode) {
      assertEquals(tokenizer.encode(text), ids, JSON.stringify(text));
      // llama2.c's dummy prefix: decoding after BOS drops the leading space again.
      assertEquals(tokenizer.decode(ids), text, JSON.stringify(text));
    }
  });

  // run.c's -n counts forward passes, the prompt's included: BOS alone gives n new tokens.
  test("stories260K: greedy from BOS is the README's golden text, and llama2.c's 200 tokens", () => {
    const result = mx.models.generate(model, tokenizer, [1], { maxTokens: fixture.greedy.steps });
    assert(result.text.startsWith(golden), `got ${JSON.stringify(result.text.slice(0, golden.length + 20))}`);
    assertEquals(result.text, fixture.greedy.text);
  });

  test("stories260K: greedy after a prompt equals llama2.c's", () => {
    const ids = tokenizer.encode(fixture.prompted.prompt);
    const result = mx.models.generate(model, tokenizer, ids, { maxTokens: fixture.prompted.steps - ids.length + 1 });
    assertEquals(fixture.prompted.prompt + result.text, fixture.prompted.text);
  });
}

test("llama2.c files: truncated, inconsistent and garbage files are named in the error", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlxts-l2c-"));
  try {
    const bin = join(dir, "model.bin");
    writeFileSync(bin, new Uint8Array(10));
    assertThrows(() => mx.models.loadLlama2c(bin), mx.MxError, "too short for a llama2.c header");
    const header = new Int32Array([64, 172, 5, 8, 4, 512, 512]);
    writeFileSync(bin, new Uint8Array(header.buffer));
    assertThrows(() => mx.models.loadLlama2c(bin), mx.MxError, "the header implies");
    header[3] = 7; // dim 64 is not a multiple of 7 heads
    writeFileSync(bin, new Uint8Array(header.buffer));
    assertThrows(() => mx.models.loadLlama2c(bin), mx.MxError, "inconsistent");
    header[0] = -3;
    writeFileSync(bin, new Uint8Array(header.buffer));
    assertThrows(() => mx.models.loadLlama2c(bin), mx.MxError, "dim -3 is out of range");
    assertThrows(() => mx.models.loadLlama2c(join(dir, "absent.bin")), mx.MxError, "absent.bin");
    const tok = join(dir, "tok.bin");
    writeFileSync(tok, new Uint8Array(new Int32Array([7, 0, 50]).buffer));
    assertThrows(() => mx.models.Llama2cTokenizer.fromFile(tok), mx.MxError, "token 0 has length 50");
    writeFileSync(tok, new Uint8Array(new Int32Array([7]).buffer));
    assertThrows(() => mx.models.Llama2cTokenizer.fromFile(tok), mx.MxError, "only 0 tokens");
    if (existsSync(tokenizerPath)) {
      const bytes = readFileSync(tokenizerPath);
      writeFileSync(tok, bytes.subarray(0, bytes.length - 3));
      assertThrows(() => mx.models.Llama2cTokenizer.fromFile(tok), mx.MxError, "token 511 has length 3");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
