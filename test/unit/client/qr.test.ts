// The token's QR code as printed in a terminal, read back by a QR decoder (jsQR) from a picture of
// the printed characters: what a phone camera would see. Also the 80-column fit.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeQrImageFile, decodeQrPng, QrImageError, renderQrHalfBlocks } from '../../../client/qr.js';
import { makeStyle, tokenBlock, visibleText, TERMINAL_WIDTH } from '../../../client/render.js';
import { qrLinesIn, terminalTextToPng } from './terminal-qr-image.js';
import { tempDir } from '../../support/daemon-process.js';

const TOKENS = [
  'jami-auth://0123456789abcdef0123456789abcdef01234567/123456',
  'jami-auth://ffffffffffffffffffffffffffffffffffffffff/000000',
  'jami-auth://9a3e5c0b7d21f4e68a90b1c2d3e4f5a6b7c8d9e0/987654',
];

describe('QR code in the terminal (client/qr.ts)', () => {
  for (const token of TOKENS) {
    it(`decodes back to ${token.slice(12, 20)}… when printed light-on-dark (plain terminal)`, () => {
      const lines = renderQrHalfBlocks(token, { ink: 'light' });
      assert.equal(decodeQrPng(terminalTextToPng(lines, { inkIsDark: false })), token);
    });

    it(`decodes back to ${token.slice(12, 20)}… when printed black-on-white (colours)`, () => {
      const lines = renderQrHalfBlocks(token, { ink: 'dark', color: true });
      assert.ok(lines.every((line) => line.startsWith('\u001b[30;107m') && line.endsWith('\u001b[0m')));
      assert.equal(decodeQrPng(terminalTextToPng(lines, { inkIsDark: true })), token);
    });
  }

  it('decodes the QR code found in the whole token screen, with and without colours', () => {
    const token = TOKENS[0];
    for (const colors of [false, true]) {
      const screen = tokenBlock(token, makeStyle(colors)).flatMap((line) => line.split('\n'));
      const qr = qrLinesIn(screen);
      assert.ok(qr.length > 10, 'QR lines found');
      assert.equal(decodeQrPng(terminalTextToPng(qr, { inkIsDark: colors })), token, `colours ${colors}`);
    }
  });

  it('is 41 columns wide (33 modules + quiet zones) and 21 rows high for a 59-character token', () => {
    const lines = renderQrHalfBlocks(TOKENS[0], { ink: 'light' });
    assert.equal(lines.length, 21);
    for (const line of lines) assert.equal([...line].length, 41);
  });

  it('fits the whole token screen in an 80-column terminal', () => {
    for (const colors of [false, true]) {
      for (const line of tokenBlock(TOKENS[0], makeStyle(colors))) {
        assert.ok([...visibleText(line)].length <= TERMINAL_WIDTH, `${[...visibleText(line)].length} columns: ${visibleText(line)}`);
      }
    }
  });

  it('reads the token from a PNG file (--qr-image)', async () => {
    const dir = tempDir('jami-link-qr-');
    const file = path.join(dir, 'token.png');
    writeFileSync(file, terminalTextToPng(renderQrHalfBlocks(TOKENS[1], { ink: 'dark' }), { inkIsDark: true, scale: 6 }));
    assert.equal(await decodeQrImageFile(file), TOKENS[1]);
  });

  it('says why a file cannot be read: missing, not a PNG, no QR code', async () => {
    const dir = tempDir('jami-link-qr-');
    await assert.rejects(decodeQrImageFile(path.join(dir, 'missing.png')), (error: Error) => error instanceof QrImageError && /cannot read .*ENOENT/.test(error.message));
    const text = path.join(dir, 'text.png');
    writeFileSync(text, 'hello');
    await assert.rejects(decodeQrImageFile(text), /not a PNG image/);
    const blank = path.join(dir, 'blank.png');
    writeFileSync(blank, terminalTextToPng(['    ', '    '], { inkIsDark: true }));
    await assert.rejects(decodeQrImageFile(blank), /no QR code found/);
  });
});
