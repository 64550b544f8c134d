// Test helper: what a camera sees of a QR code printed in a terminal. Rasterizes half-block text
// (each character one unit wide, two half-units high, as in a 1:2 terminal cell) into a PNG.

import { PNG } from 'pngjs';

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const TOP = new Set(['▀', '█']);
const BOTTOM = new Set(['▄', '█']);

export interface RasterOptions {
  /** True when glyphs are dark on a light background (explicit colours); false for a dark terminal. */
  inkIsDark: boolean;
  /** Pixels per module. */
  scale?: number;
  /** Background pixels around the text (the terminal's own background). */
  margin?: number;
}

export function terminalTextToPng(lines: string[], options: RasterOptions): Buffer {
  const scale = options.scale ?? 4;
  const margin = options.margin ?? 8;
  const text = lines.map((line) => [...line.replace(ANSI, '')]);
  const columns = Math.max(...text.map((chars) => chars.length));
  const width = columns * scale + 2 * margin;
  const height = text.length * 2 * scale + 2 * margin;
  const png = new PNG({ width, height });
  const ink = options.inkIsDark ? 0 : 255;
  const paper = 255 - ink;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const column = Math.floor((x - margin) / scale);
      const halfRow = Math.floor((y - margin) / scale);
      const char = x >= margin && y >= margin ? text[Math.floor(halfRow / 2)]?.[column] : undefined;
      const inked = char !== undefined && (halfRow % 2 === 0 ? TOP.has(char) : BOTTOM.has(char));
      const offset = (y * width + x) * 4;
      png.data[offset] = png.data[offset + 1] = png.data[offset + 2] = inked ? ink : paper;
      png.data[offset + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** The lines of a QR code in captured output: the run of lines made of block characters. */
export function qrLinesIn(output: string[]): string[] {
  const isQr = (line: string) => /^\s*[█▀▄ ]+$/.test(line.replace(ANSI, '')) && /[█▀▄]/.test(line);
  const start = output.findIndex(isQr);
  if (start < 0) return [];
  let end = start;
  while (end < output.length && isQr(output[end])) end++;
  return output.slice(start, end).map((line) => line.replace(ANSI, '').replace(/^ {2}/, ''));
}
