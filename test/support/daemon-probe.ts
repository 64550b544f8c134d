// A probe preloaded into a daemon under test (NODE_OPTIONS=--import): counts the listeners of every live
// EventEmitter, and on SIGUSR2 runs a full GC and writes one JSON line to stderr with those counts, the
// active handles/timers, the heap and the process's fds and RSS. The daemon's own code is untouched.
// Test side: probeEnv() for spawning, probeDaemon() to ask.

import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RunningDaemon } from './daemon-process.js';
import { withTimeout } from './wait.js';

export interface ProbeReport {
  probe: number;
  /** Listeners on all live EventEmitters, and how many emitters have any. */
  listeners: number;
  emitters: number;
  /** Listeners by "<emitter class>.<event>", to tell which ones grow. */
  byEvent: Record<string, number>;
  /** process.getActiveResourcesInfo() by type (timers, sockets, ...). */
  resources: Record<string, number>;
  heapUsedMB: number;
  /** What V8 holds from the system for its heap (grows under load, given back when idle). */
  heapTotalMB: number;
  externalMB: number;
  rssMB: number;
  fds: number;
  threads: number;
}

const PROBE_MARK = '"probe":';
const IS_PRELOAD = process.env.JAMI_LINKD_TEST_PROBE === '1' && process.argv.some((arg) => /jami-linkd\.c?js$/.test(arg));

if (IS_PRELOAD) installProbe();

function installProbe(): void {
  const tracked = new Set<WeakRef<EventEmitter>>();
  const refs = new WeakMap<EventEmitter, WeakRef<EventEmitter>>();
  const registry = new FinalizationRegistry<WeakRef<EventEmitter>>((ref) => tracked.delete(ref));
  const proto = EventEmitter.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ['addListener', 'on', 'prependListener', 'once', 'prependOnceListener']) {
    const original = proto[method];
    proto[method] = function (this: EventEmitter, ...args: unknown[]) {
      if (!refs.has(this)) {
        const ref = new WeakRef(this);
        refs.set(this, ref);
        tracked.add(ref);
        registry.register(this, ref);
      }
      return original.apply(this, args);
    };
  }
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let count = 0;
  process.on('SIGUSR2', () => {
    gc();
    gc();
    let listeners = 0;
    let emitters = 0;
    const byEvent: Record<string, number> = {};
    for (const ref of tracked) {
      const emitter = ref.deref();
      if (emitter === undefined) continue;
      let total = 0;
      for (const name of emitter.eventNames()) {
        const count = emitter.listenerCount(name);
        const key = `${emitter.constructor?.name ?? '?'}.${String(name)}`;
        byEvent[key] = (byEvent[key] ?? 0) + count;
        total += count;
      }
      listeners += total;
      if (total > 0) emitters += 1;
    }
    const resources: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
    const memory = process.memoryUsage();
    const status = readFileSync('/proc/self/status', 'utf8');
    const report: ProbeReport = {
      probe: ++count,
      listeners,
      emitters,
      byEvent,
      resources,
      heapUsedMB: round(memory.heapUsed),
      heapTotalMB: round(memory.heapTotal),
      externalMB: round(memory.external),
      rssMB: round(memory.rss),
      fds: readdirSync('/proc/self/fd').length,
      threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0),
    };
    writeSync(2, `${JSON.stringify(report)}\n`);
    if (process.env.JAMI_LINKD_TEST_PROBE_SNAPSHOT) writeHeapSnapshot(`${process.env.JAMI_LINKD_TEST_PROBE_SNAPSHOT}-${process.pid}-${count}.heapsnapshot`);
  });
}

function round(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** Environment that loads this probe into a spawned daemon. The probe, an ES module loaded by --import, starts
 *  libuv's thread pool before the daemon's entry can size it: the entry's size (bin/jami-linkd.cts) is given here. */
export function probeEnv(): NodeJS.ProcessEnv {
  const self = pathToFileURL(fileURLToPath(import.meta.url)).href;
  const inherited = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : '';
  return { JAMI_LINKD_TEST_PROBE: '1', NODE_OPTIONS: `${inherited}--import=${self}`, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '8' };
}

/** Asks a daemon started with probeEnv() for a report (after a full GC in the daemon). */
export async function probeDaemon(daemon: RunningDaemon, ms = 10000): Promise<ProbeReport> {
  const seen = daemon.logs.filter((line) => line.startsWith('{' + PROBE_MARK)).length;
  const stderr = daemon.child.stderr!;
  let onData: (() => void) | undefined;
  const arrived = new Promise<ProbeReport>((resolve) => {
    onData = () => {
      const lines = daemon.logs.filter((line) => line.startsWith('{' + PROBE_MARK));
      if (lines.length > seen) resolve(JSON.parse(lines[seen]) as ProbeReport);
    };
    stderr.on('data', onData);
  });
  daemon.child.kill('SIGUSR2');
  try {
    return await withTimeout(arrived, ms, 'the daemon probe report');
  } finally {
    stderr.off('data', onData!);
  }
}

/** Open fds and VmRSS (MB) of any process, read from /proc. */
export function processFigures(pid: number): { fds: number; rssMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    fds: readdirSync(`/proc/${pid}/fd`).length,
    rssMB: Math.round((Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024) * 10) / 10,
  };
}
