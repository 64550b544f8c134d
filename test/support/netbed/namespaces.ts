// Listing, emptying and deleting the bed's namespaces, and the start-up sweep of namespaces that
// runs of this bed left behind when their process died (a live parallel run's are left alone).

import { execFileSync } from 'node:child_process';
import { runHostCommand } from './host-command.js';
import { BED_PREFIX, isOwnerAlive, ownerOfName } from './run-id.js';

export function parseNamespaceList(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

export async function listNamespaces(): Promise<string[]> {
  return parseNamespaceList(await runHostCommand('ip', ['netns', 'list']));
}

export async function bedNamespaces(runId = BED_PREFIX): Promise<string[]> {
  return (await listNamespaces()).filter((name) => name.startsWith(`${runId}-`));
}

/** Pids of the processes living in a namespace (its name is gone: none). */
export async function pidsIn(namespace: string): Promise<number[]> {
  try {
    const output = await runHostCommand('ip', ['netns', 'pids', namespace]);
    return output.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Deletes a namespace the bed made, after killing whatever still lives in it: only the bed starts
 * processes there, and a process left inside would keep the namespace (and its links) alive.
 * Deleting a name that is already gone is not an error: teardown is idempotent.
 */
export async function deleteNamespace(namespace: string): Promise<void> {
  for (const pid of await pidsIn(namespace)) killQuietly(pid);
  try {
    await runHostCommand('ip', ['netns', 'del', namespace]);
  } catch (error) {
    if ((await listNamespaces()).includes(namespace)) throw error;
  }
}

/** The synchronous form, for the process exit hook (no event loop left to await on). */
export function deleteNamespaceSync(namespace: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8', timeout: 5000, stdio: 'pipe' });
    for (const pid of pids.split(/\s+/).filter(Boolean)) killQuietly(Number(pid));
    execFileSync('ip', ['netns', 'del', namespace], { timeout: 5000, stdio: 'ignore' });
  } catch {
    // Gone already, or the next run's sweep deletes it.
  }
}

/** Deletes the namespaces of bed runs whose process is dead; returns their names. */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const stale = (await bedNamespaces()).filter((name) => {
    const owner = ownerOfName(name);
    return owner !== undefined && !isOwnerAlive(owner);
  });
  for (const name of stale) await deleteNamespace(name);
  return stale;
}
