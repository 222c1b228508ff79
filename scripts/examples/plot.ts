/**
 * Training-curve helpers for the examples: a one-line progress bar and an SVG chart of loss
 * and accuracy per step that any browser opens.
 *
 * @module
 */

import process from "node:process";

/** One point of a training curve. */
export interface CurvePoint {
  /** Samples seen so far (the x axis). */
  samples: number;
  /** Mean training loss over the last stretch. */
  loss: number;
  /** Training accuracy over the last stretch, in [0, 1]. */
  accuracy: number;
}

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
/** Progress lines are redrawn in place on a terminal, and left out of logs and pipes. */
const interactive = isDeno ? Deno.stdout.isTerminal() : Boolean(process.stdout.isTTY);

/** Writes `text` over the current terminal line (no newline); nothing when not a terminal. */
export function writeLine(text: string): void {
  if (!interactive) return;
  const bytes = new TextEncoder().encode(`\r${text}\x1b[K`);
  if (isDeno) Deno.stdout.writeSync(bytes);
  else process.stdout.write(bytes);
}

/** `[#####.....]` for a fraction in [0, 1]. */
export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}

function polyline(points: [number, number][], color: string): string {
  const path = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
  return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${path}"/>`;
}

/**
 * An SVG (as text) with two panels: training loss, and training accuracy (with test accuracy
 * marks per epoch), against samples seen.
 */
export function curveSvg(
  title: string,
  curve: readonly CurvePoint[],
  testAccuracy: readonly { samples: number; accuracy: number }[],
): string {
  const width = 720;
  const panelHeight = 220;
  const left = 60;
  const right = 20;
  const top = 40;
  const gap = 50;
  const plotWidth = width - left - right;
  const maxSamples = Math.max(1, ...curve.map((p) => p.samples), ...testAccuracy.map((p) => p.samples));
  const maxLoss = Math.max(1e-6, ...curve.map((p) => p.loss));
  const x = (samples: number) => left + (samples / maxSamples) * plotWidth;
  const lossY = (loss: number) => top + panelHeight - (loss / maxLoss) * panelHeight;
  const accTop = top + panelHeight + gap;
  const accY = (acc: number) => accTop + panelHeight - acc * panelHeight;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${accTop + panelHeight + 50}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>`,
  );
  for (const [panelTop, label, ticks] of [
    [top, "training loss", [0, 0.5, 1].map((f) => [lossY(f * maxLoss), (f * maxLoss).toFixed(2)] as const)],
    [accTop, "accuracy", [0, 0.5, 0.9, 1].map((f) => [accY(f), `${(f * 100).toFixed(0)}%`] as const)],
  ] as const) {
    parts.push(
      `<rect x="${left}" y="${panelTop}" width="${plotWidth}" height="${panelHeight}" fill="none" stroke="#999"/>`,
      `<text x="${left + 6}" y="${panelTop + 16}">${label}</text>`,
    );
    for (const [y, text] of ticks) {
      parts.push(
        `<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#eee"/>`,
        `<text x="${left - 6}" y="${y + 4}" text-anchor="end">${text}</text>`,
      );
    }
  }
  parts.push(polyline(curve.map((p) => [x(p.samples), lossY(p.loss)]), "#d62728"));
  parts.push(polyline(curve.map((p) => [x(p.samples), accY(p.accuracy)]), "#1f77b4"));
  for (const t of testAccuracy) {
    parts.push(
      `<circle cx="${x(t.samples)}" cy="${accY(t.accuracy)}" r="4" fill="#2ca02c"/>`,
      `<text x="${x(t.samples) - 6}" y="${accY(t.accuracy) + 18}" text-anchor="end" fill="#2ca02c">test ${
        (t.accuracy * 100).toFixed(2)
      }%</text>`,
    );
  }
  const axisY = accTop + panelHeight + 30;
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${axisY}" text-anchor="middle">samples seen (${maxSamples})</text>`,
    `<text x="${left + plotWidth}" y="${axisY - 14}" text-anchor="end" fill="#1f77b4">training accuracy</text>`,
    "</svg>",
  );
  return parts.join("\n") + "\n";
}
