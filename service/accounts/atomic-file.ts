// Crash-safe file primitives: private directories and files replaced atomically
// (temp file in the same directory, fsync, rename, fsync of the directory).

import { promises as fs, constants as fsConstants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the directory (and parents) with mode 0700 and forces 0700 on it if it exists. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await fs.chmod(dir, PRIVATE_DIR_MODE);
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `file` (which must not exist) with mode 0600 and makes its content durable. */
export async function writePrivateFile(file: string, data: Buffer | string): Promise<void> {
  const handle = await fs.open(file, 'wx', PRIVATE_FILE_MODE);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    // One write call on the thread pool, not writeFile's 512 KiB pieces: each piece waits for the event loop to
    // ask for the next one, and a 37 MB archive written while the loop parses JSON took 130 ms instead of ~15.
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, offset);
      offset += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `file` so that a crash leaves either the old content or the new one, never a mix. */
export async function writeFileAtomically(file: string, data: Buffer | string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writePrivateFile(temp, data);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

/** Moves a fully written directory into place in one rename, then makes the rename durable. */
export async function publishDirectory(staging: string, target: string): Promise<void> {
  await fsyncDir(staging);
  await fs.rename(staging, target);
  await fsyncDir(path.dirname(target));
}

/** Removes a directory so that a crash midway leaves no half-deleted account under its real name. */
export async function removeDirectoryAtomically(target: string, trash: string): Promise<void> {
  await fs.rename(target, trash);
  await fsyncDir(path.dirname(target));
  await fs.rm(trash, { recursive: true, force: true });
}
