// Accounts with large archives (as accounts with much conversation data have), made the way a user
// would: a backup, more data under a key Jami uses, and an import of the resulting file.

import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { TestClient } from './client.js';
import { tempDir } from './daemon-process.js';

/** Creates an account holding `megabytes` MB of data (its archive's JSON; random base64, so the gzip archive is
 *  about 3/4 of that): at most 64 MiB, the daemon's bound on an archive's JSON. Returns its id and archive size. */
export async function createBigAccount(client: TestClient, megabytes: number, alias = 'Big'): Promise<{ accountId: string; archiveBytes: number }> {
  const dir = tempDir('big-archive-');
  const seed = await client.createAccount({ 'Account.alias': alias });
  const backup = path.join(dir, 'seed.gz');
  if (!(await client.call<boolean>('exportToFile', seed, backup, '', ''))) throw new Error('backup failed');
  const content = JSON.parse(gunzipSync(await fs.readFile(backup)).toString('utf8'));
  // Random bytes as base64 compress to about their own size: 3 bytes of data per 4 characters of JSON.
  content.conversations = [{ id: 'bulk', data: randomBytes(Math.ceil((megabytes * 1_000_000 * 3) / 4)).toString('base64') }];
  const file = path.join(dir, 'big.gz');
  const archive = gzipSync(JSON.stringify(content), { level: 1 });
  await fs.writeFile(file, archive);
  await client.call('removeAccount', seed);
  const accountId = await client.createAccount({ 'Account.archivePath': file, 'Account.alias': alias });
  await fs.rm(dir, { recursive: true, force: true });
  return { accountId, archiveBytes: archive.length };
}
