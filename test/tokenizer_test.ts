/**
 * Tokenizers from Hugging Face folders: encodings, decodings and chat templates equal what
 * `tokenizers` / `transformers` produce for the two tokenizers in test/fixtures/tokenizers/
 * (byte-level BPE with a ChatML template; metaspace BPE with byte fallback, BOS and an [INST]
 * template), made by scripts/fixtures/gen_models.py.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as mx from "mlx-ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";
import { loadJson } from "./fixtures.ts";

interface TokenizerCase {
  text: string;
  ids: number[];
  idsNoSpecial: number[];
  decoded: string;
  decodedSkipSpecial: string;
}

interface Expected {
  vocabSize: number;
  bos: number | null;
  eos: number;
  cases: TokenizerCase[];
  chats: { messages: mx.models.ChatMessage[]; addGenerationPrompt: boolean; text: string }[];
}

const expected = loadJson<Record<string, Expected>>("tokenizers/expected.json");
const dirOf = (name: string) => decodeURIComponent(new URL(`./fixtures/tokenizers/${name}`, import.meta.url).pathname);

for (const [name, e] of Object.entries(expected)) {
  const tok = mx.models.Tokenizer.fromDir(dirOf(name));

  test(`tokenizer ${name}: vocabulary size and special ids`, () => {
    assertEquals(tok.vocabSize, e.vocabSize);
    assertEquals(tok.bosTokenId, e.bos ?? undefined);
    assert(tok.eosTokenIds.has(e.eos), `eos ${e.eos} in ${[...tok.eosTokenIds]}`);
  });

  test(`tokenizer ${name}: encode and decode equal HF tokenizers`, () => {
    for (const c of e.cases) {
      assertEquals(tok.encode(c.text), c.ids, `encode ${JSON.stringify(c.text)}`);
      assertEquals(tok.encode(c.text, { addSpecialTokens: false }), c.idsNoSpecial, `encode ${JSON.stringify(c.text)}`);
      assertEquals(tok.decode(c.ids), c.decoded, `decode ${JSON.stringify(c.text)}`);
      assertEquals(tok.decode(c.ids, { skipSpecialTokens: true }), c.decodedSkipSpecial, `decode ${JSON.stringify(c.text)}`);
    }
  });

  test(`tokenizer ${name}: chat template equals transformers' apply_chat_template`, () => {
    assert(tok.hasChatTemplate);
    for (const c of e.chats) {
      assertEquals(tok.applyChatTemplate(c.messages, { addGenerationPrompt: c.addGenerationPrompt }), c.text);
    }
  });

  test(`tokenizer ${name}: the streaming decoder emits the full text, whole characters only`, () => {
    for (const c of e.cases) {
      const stream = tok.streamingDecoder();
      let text = "";
      for (const id of c.idsNoSpecial) {
        const piece = stream.add(id);
        assert(!piece.includes("\uFFFD"), `no broken character in ${JSON.stringify(piece)}`);
        text += piece;
      }
      text += stream.finish();
      assertEquals(text, tok.decode(c.idsNoSpecial), `stream ${JSON.stringify(c.text)}`);
    }
  });
}

test("tokenizer: the metaspace template raises the template's own error on bad role order", () => {
  const tok = mx.models.Tokenizer.fromDir(dirOf("metaspace"));
  assertThrows(
    () => tok.applyChatTemplate([{ role: "assistant", content: "hi" }]),
    mx.MxError,
    "Conversation roles must alternate",
  );
});

test("tokenizer: missing and malformed files are named in the error", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlxts-tok-"));
  try {
    assertThrows(() => mx.models.Tokenizer.fromDir(dir), mx.MxError, join(dir, "tokenizer.json"));
    writeFileSync(join(dir, "tokenizer.json"), "{ not json");
    assertThrows(() => mx.models.Tokenizer.fromDir(dir), mx.MxError, "tokenizer.json is not valid JSON");
    writeFileSync(join(dir, "tokenizer.json"), "[1, 2]");
    assertThrows(() => mx.models.Tokenizer.fromDir(dir), mx.MxError, "must hold a JSON object");
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify({ model: { type: "Nonsense" } }));
    assertThrows(() => mx.models.Tokenizer.fromDir(dir), mx.MxError, "tokenizer.json");
    writeFileSync(join(dir, "tokenizer.json"), readFileSync(join(dirOf("bytelevel"), "tokenizer.json")));
    const tok = mx.models.Tokenizer.fromDir(dir);
    assertThrows(() => tok.applyChatTemplate([{ role: "user", content: "a" }]), mx.MxError, "no chat template");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
