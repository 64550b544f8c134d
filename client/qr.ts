// QR codes: the token drawn in a terminal with half blocks (two modules per character row, so a
// 59-character token fits in 41 columns), and a token read back from a PNG image (jsQR + pngjs).

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type QRCode from 'qrcode';
import type { PNG } from 'pngjs';

// The three libraries are CommonJS and take ~50 ms to load: each is required on first use, so a command that
// draws no QR code and reads no image (accounts, export TOKEN, --help) never loads them.
const require = createRequire(import.meta.url);
let qrcode: typeof QRCode | undefined;
let pngjs: { PNG: typeof PNG } | undefined;
let jsQR: JsQr | undefined;

/** Quiet zone, in modules, that QR readers need around the symbol. */
export const QUIET_ZONE = 4;

export interface QrMatrix {
  readonly size: number;
  isDark(row: number, col: number): boolean;
}

/**
 * Loads the QR encoder now (synchronously, ~20 ms): called while the daemon prepares a token, so that drawing it
 * does not wait for the load once the token is there.
 */
export function loadQrEncoder(): typeof QRCode {
  return (qrcode ??= require('qrcode') as typeof QRCode);
}

export function qrMatrix(text: string): QrMatrix {
  const { modules } = loadQrEncoder().create(text, { errorCorrectionLevel: 'M' });
  return { size: modules.size, isDark: (row, col) => modules.get(row, col) === 1 };
}

export interface HalfBlockOptions {
  /**
   * Which modules the glyphs draw. "dark" when the colours are set explicitly (black on white);
   * "light" on a plain terminal, whose text is light on a dark background in most themes.
   */
  ink: 'dark' | 'light';
  /** Wraps each line in ANSI black-on-white (with ink "dark"), so any terminal theme shows dark modules. */
  color?: boolean;
  quietZone?: number;
}

const BLACK_ON_WHITE = '\u001b[30;107m';
const RESET = '\u001b[0m';
const HALF_BLOCKS = [' ', '▄', '▀', '█'] as const; // index: top * 2 + bottom

/** The QR code of `text` as terminal lines; each character is one module wide and two modules high. */
export function renderQrHalfBlocks(text: string, options: HalfBlockOptions): string[] {
  const matrix = qrMatrix(text);
  const quiet = options.quietZone ?? QUIET_ZONE;
  const span = matrix.size + 2 * quiet;
  const inked = (row: number, col: number): boolean => {
    const r = row - quiet;
    const c = col - quiet;
    const dark = r >= 0 && c >= 0 && r < matrix.size && c < matrix.size && matrix.isDark(r, c);
    return options.ink === 'dark' ? dark : !dark;
  };
  const lines: string[] = [];
  for (let row = 0; row < span; row += 2) {
    let line = '';
    for (let col = 0; col < span; col++) {
      const top = inked(row, col);
      const bottom = row + 1 < span ? inked(row + 1, col) : options.ink === 'light';
      line += HALF_BLOCKS[(top ? 2 : 0) + (bottom ? 1 : 0)];
    }
    lines.push(options.color ? `${BLACK_ON_WHITE}${line}${RESET}` : line);
  }
  return lines;
}

type JsQr = (data: Uint8ClampedArray, width: number, height: number, options?: { inversionAttempts?: 'attemptBoth' }) => { data: string } | null;

function jsQrFunction(): JsQr {
  // Depending on how it was built, jsqr's function is the module itself or its "default".
  const loaded = require('jsqr') as JsQr & { default?: JsQr };
  return loaded.default ?? loaded;
}

/** Decodes the first QR code in RGBA pixels (dark-on-light or inverted). */
export function decodeQrPixels(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): string | undefined {
  const pixels = rgba instanceof Uint8ClampedArray ? rgba : new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  jsQR ??= jsQrFunction();
  return jsQR(pixels, width, height, { inversionAttempts: 'attemptBoth' })?.data ?? undefined;
}

export class QrImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QrImageError';
  }
}

/** Decodes a PNG image's QR code; throws QrImageError saying why when it cannot. */
export function decodeQrPng(png: Buffer): string {
  let image: PNG;
  pngjs ??= require('pngjs') as { PNG: typeof PNG };
  try {
    image = pngjs.PNG.sync.read(png);
  } catch (error) {
    throw new QrImageError(`not a PNG image (${(error as Error).message})`);
  }
  const text = decodeQrPixels(image.data, image.width, image.height);
  if (text === undefined) throw new QrImageError('no QR code found in the image');
  return text;
}

export async function decodeQrImageFile(file: string): Promise<string> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    throw new QrImageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return decodeQrPng(data);
  } catch (error) {
    throw new QrImageError(`${file}: ${(error as Error).message}`);
  }
}
