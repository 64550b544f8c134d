// Whether this machine can build a bed, and if not, a sentence saying why (tests pass it to
// this.skip()): root, the host tools, and the kernel's network namespaces, veth and nftables.

import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { ipIn, runHostCommand } from './host-command.js';
import { deleteNamespace } from './namespaces.js';
import { newRunId } from './run-id.js';

const PROGRAMS: Record<string, string> = {
  ip: 'iproute2',
  nft: 'nftables',
  tc: 'iproute2',
  dhtnode: 'dhtnode',
  turnserver: 'coturn',
  turnutils_uclient: 'coturn',
  turnutils_stunclient: 'coturn',
};

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir || '.', program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function probe(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  const uid = process.getuid?.();
  if (uid !== 0) return `network namespaces need root (running as uid ${uid}); CI runs these tests as root`;
  const missing = Object.keys(PROGRAMS).filter((program) => !onPath(program));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((program) => PROGRAMS[program]))].join(' ');
    return `missing ${missing.join(', ')}: run scripts/install-system-deps.sh (apt-get install ${packages})`;
  }
  const namespace = `${newRunId()}-probe`;
  try {
    await runHostCommand('ip', ['netns', 'add', namespace]);
  } catch (error) {
    return `cannot create a network namespace: ${(error as Error).message}`;
  }
  try {
    await ipIn(namespace, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    await runHostCommand('ip', ['netns', 'exec', namespace, 'nft', '-f', '-'], {
      input: 'table inet probe {\nchain p { type nat hook postrouting priority srcnat; masquerade fully-random; }\n}\n',
    });
    return undefined;
  } catch (error) {
    return `the kernel lacks what the bed needs (veth, nftables NAT): ${(error as Error).message}`;
  } finally {
    await deleteNamespace(namespace);
  }
}

let verdict: Promise<string | undefined> | undefined;

/** undefined when a bed can be built here; otherwise why not. Probed once per process. */
export function netBedSkipReason(): Promise<string | undefined> {
  verdict ??= probe();
  return verdict;
}

/** For a mocha before() hook: skips the suite, saying why, where no bed can be built. */
export async function skipWithoutNetBed(context: Mocha.Context): Promise<void> {
  const reason = await netBedSkipReason();
  if (reason === undefined) return;
  console.log(`      skipped: ${reason}`);
  context.skip();
}
