// Secrets the tests hand to daemons (passwords, tokens), remembered so that a last test can search
// every daemon log for them.

import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SECRETS_FILE = path.join(os.tmpdir(), `jami-linkd-test-secrets-${process.pid}.txt`);

export function rememberSecret(secret: string): string {
  if (secret) appendFileSync(SECRETS_FILE, `${JSON.stringify(secret)}\n`);
  return secret;
}

export function rememberedSecrets(): string[] {
  if (!existsSync(SECRETS_FILE)) return [];
  return readFileSync(SECRETS_FILE, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as string);
}
