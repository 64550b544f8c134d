// Names for one bed's namespaces: a prefix naming the process that made them (pid and its start
// time), so a later run can tell a dead run's leftovers (swept) from a live parallel run's (kept).

import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export const BED_PREFIX = 'jlnb';

export interface RunOwner {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat: tells a reused pid from the process that made the names. */
  readonly startTicks: string;
}

/** The start time of a live process, or undefined if there is no such process. */
export function startTicksOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

let runsInThisProcess = 0;

/** A run id unique on this machine: jlnb-PID-STARTTICKS-N-RANDOM. */
export function newRunId(): string {
  const startTicks = startTicksOf(process.pid) ?? '0';
  runsInThisProcess += 1;
  return [BED_PREFIX, process.pid, startTicks, runsInThisProcess, randomBytes(2).toString('hex')].join('-');
}

/** The owner encoded in a bed namespace name, or undefined for a name the bed did not make. */
export function ownerOfName(name: string): RunOwner | undefined {
  const match = /^jlnb-(\d+)-(\d+)-\d+-[0-9a-f]{4}-/.exec(name);
  if (!match) return undefined;
  return { pid: Number(match[1]), startTicks: match[2] };
}

export function isOwnerAlive(owner: RunOwner): boolean {
  return startTicksOf(owner.pid) === owner.startTicks;
}
