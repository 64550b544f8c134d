// "Archive bombs": tiny gzip files that inflate to a huge JSON object, built in milliseconds by repeating one
// compressed member (gunzip reads concatenated gzip members as one stream).

import { gzipSync } from 'node:zlib';

const MIB = 1024 * 1024;

/** A gzip file whose content is `{"a":"<spaces>"}`, about `inflatedMiB` MiB inflated and ~1 KB per MiB compressed. */
export function gzipBomb(inflatedMiB: number): Buffer {
  const member = gzipSync(Buffer.alloc(MIB, 0x20), { level: 9 });
  return Buffer.concat([gzipSync('{"a":"'), ...Array.from({ length: inflatedMiB }, () => member), gzipSync('"}')]);
}
