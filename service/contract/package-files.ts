// Files of the package read at run time (package.json, dbus-introspection/), found from the package's root. The
// root is looked up, not written as a fixed number of '..': tsc's output has each module at its own depth under
// dist/, and the bundle (scripts/bundle.mjs, dist/app/) gives every module it holds the URL of its chunk.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The marker of the root: no other directory on the way up has it. */
const MARKER = 'dbus-introspection';
/** This module, unbundled (dist/service/contract/), is 3 levels below the root: a few more for safety, never an
 *  unbounded walk. */
const MAX_LEVELS = 8;

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < MAX_LEVELS; level++) {
    if (existsSync(path.join(dir, MARKER))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`jami-linkd's files are not where they were installed: no ${MARKER}/ above ${fileURLToPath(import.meta.url)}`);
}

let root: string | undefined;

/** The absolute path of a file of the package, given relative to its root ('package.json', 'dbus-introspection/...'). */
export function packageFile(relative: string): string {
  root ??= findRoot();
  return path.join(root, relative);
}
