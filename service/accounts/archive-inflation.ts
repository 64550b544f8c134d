// An archive inflated while it arrives: a received plain archive (gzip or zlib JSON) goes to zlib on the thread
// pool a batch of chunks at a time as it comes, and what zlib gives back is checked (json-shape.ts) and decoded to
// text piece by piece, its long strings set aside (json-text-collector.ts), so that when the last chunk is in, only
// the parse of what is left is to do, instead of a 50 MB inflate (~250 ms), a join (~30 ms), a decode (~30 ms) and
// a parse (~80 ms) starting only then. Bounded like decompress() in archive.ts:
// output past MAX_ARCHIVE_JSON_BYTES stops it; and refused like parseArchiveJson.

import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import {
  ArchiveError,
  asArchiveError,
  isGzip,
  MAX_ARCHIVE_JSON_BYTES,
  notCompressed,
  parseArchiveText,
  tooLargeWhenInflated,
  type ArchiveContent,
} from './archive.js';
import { JsonShapeScan } from './json-shape.js';
import { JsonTextCollector } from './json-text-collector.js';

/**
 * zlib works a stream one write at a time, and each hop from the thread pool back to the event loop waits behind
 * the data channel's messages there: fed 64 KiB at a time (a chunk) it fell behind the transfer by a few hundred
 * ms. So input goes to zlib 1 MiB at a time, and output comes back in pieces of up to 1 MiB (zlib's default is
 * 16 KiB); an archive smaller than a batch goes whole at the end, with pieces to its measure.
 */
const INPUT_BATCH_BYTES = 1024 * 1024;
const MAX_OUTPUT_CHUNK_BYTES = 1024 * 1024;
const MIN_OUTPUT_CHUNK_BYTES = 64 * 1024;

export class ArchiveInflation {
  /** Bytes taken so far: storing uses this inflation only for an archive of exactly this length. */
  private fed = 0;
  private stream: Gunzip | Inflate | undefined;
  /** Input not given to zlib yet (less than INPUT_BATCH_BYTES, or the first byte: the format is known from two). */
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private outputBytes = 0;
  /** The JSON text so far, shape-checked as it comes, its long strings set aside. */
  private readonly json = new JsonTextCollector(new JsonShapeScan());
  private failure: ArchiveError | undefined;
  private readonly settled: Promise<ArchiveContent>;
  private settle!: { resolve: (content: ArchiveContent) => void; reject: (error: ArchiveError) => void };

  constructor(private readonly maxJsonBytes = MAX_ARCHIVE_JSON_BYTES) {
    this.settled = new Promise<ArchiveContent>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.settled.catch(() => undefined); // nobody may ask for a link that failed
  }

  get bytesTaken(): number {
    return this.fed;
  }

  /** The next bytes of the archive, in order; they must not change afterwards (zlib reads them later, and adjacent
   *  views of one buffer go to it uncopied). Ignored once it failed or was aborted. */
  write(chunk: Buffer): void {
    if (this.failure !== undefined || chunk.length === 0) return;
    this.fed += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= INPUT_BATCH_BYTES) this.flush();
  }

  /** What is pending, to zlib (opened once two bytes tell gzip from zlib). */
  private flush(): void {
    if (this.pendingBytes === 0 || (this.stream === undefined && this.pendingBytes < 2)) return;
    const batch = joined(this.pending, this.pendingBytes);
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.stream ??= this.open(isGzip(batch), Math.min(MAX_OUTPUT_CHUNK_BYTES, Math.max(MIN_OUTPUT_CHUNK_BYTES, 4 * batch.length)));
    this.stream.write(batch);
  }

  /** The archive is complete: resolves to its content, or rejects with ArchiveError ('corrupt', 'too_large'). */
  finish(): Promise<ArchiveContent> {
    if (this.failure === undefined) {
      this.flush();
      if (this.stream === undefined) this.fail(notCompressed());
      else this.stream.end();
    }
    return this.settled;
  }

  /** The link ended: zlib's work and what it produced are let go. */
  abort(): void {
    this.fail(new ArchiveError('corrupt', 'the archive was not received whole'));
  }

  private open(gzip: boolean, chunkSize: number): Gunzip | Inflate {
    const stream = (gzip ? createGunzip : createInflate)({ chunkSize });
    stream.on('data', (data: Buffer) => {
      if (this.failure !== undefined) return;
      this.outputBytes += data.length;
      if (this.outputBytes > this.maxJsonBytes) return this.fail(tooLargeWhenInflated(this.maxJsonBytes));
      this.settleWith(() => {
        this.json.write(data);
      });
    });
    stream.on('error', () => this.fail(notCompressed()));
    stream.on('end', () => {
      if (this.failure !== undefined) return;
      this.settleWith(() => {
        const { text, restore } = this.json.finish();
        const content = parseArchiveText(text);
        restore(content);
        this.settle.resolve(content);
      });
    });
    return stream;
  }

  /** Runs `work`; what it throws (a shape or a parse refused) fails the inflation. */
  private settleWith(work: () => void): void {
    try {
      work();
    } catch (error) {
      const refused = asArchiveError(error);
      this.fail(refused instanceof ArchiveError ? refused : new ArchiveError('corrupt', 'the archive could not be read'));
    }
  }

  private fail(error: ArchiveError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.json.discard();
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.stream?.destroy();
    this.settle.reject(error);
  }
}

/**
 * `pieces` as one buffer: a view spanning them when they lie end to end in one memory (the framed channel hands
 * out views of the archive it fills), else a copy.
 */
function joined(pieces: readonly Buffer[], total: number): Buffer {
  const first = pieces[0]!;
  let end = first.byteOffset;
  for (const piece of pieces) {
    if (piece.buffer !== first.buffer || piece.byteOffset !== end) return Buffer.concat(pieces, total);
    end += piece.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, total);
}
