// The suite's guard against a child that does not stop (test/support/stuck-process): a CI run once waited out its
// 90 minutes on a daemon that ignored SIGTERM. Real processes: one that stops, one whose SIGTERM handler never
// runs because its event loop is blocked, one that ignores SIGTERM, third-party software slow to stop; and the /proc
// walk that finds leftovers.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { descendantsOf, describeStuckProcess, stopOrKill, StuckProcessError } from '../support/stuck-process.js';
import { withTimeout } from '../support/wait.js';

/** A node child running `script`, once it printed "ready" (its signal handlers are installed by then). */
async function nodeChild(script: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await withTimeout(once(child.stdout!, 'data'), 10000, 'the child to start');
  return child;
}

const children: ChildProcess[] = [];
function killChildren(): void {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

describe('stopping a child that may not stop', function () {
  this.timeout(60000);
  afterEach(killChildren);

  it('resolves once a child that honours SIGTERM exits, without killing it', async () => {
    const child = await nodeChild(`process.on('SIGTERM', () => process.exit(3)); setInterval(() => {}, 1000); console.log('ready')`);
    children.push(child);
    await stopOrKill(child, { name: 'polite', graceMs: 10000 });
    assert.equal(child.exitCode, 3);
  });

  it('kills a child whose event loop is blocked and says it was running (state R), with the context given', async () => {
    // The daemon's case: its SIGTERM handler is JavaScript, and JavaScript never runs again.
    const child = await nodeChild(`process.on('SIGTERM', () => process.exit(0)); console.log('ready'); for (;;) {}`);
    children.push(child);
    const error = await stopOrKill(child, { name: 'spinner', graceMs: 1000, context: () => 'last words' }).then(
      () => assert.fail('stopOrKill resolved for a child that never exited'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof StuckProcessError, String(error));
    assert.match(error.message, new RegExp(`^spinner \\(pid ${child.pid}\\) was still running 1000 ms after SIGTERM; killed it`));
    assert.match(error.message, /thread \d+ node: state R/);
    assert.match(error.message, /last words$/);
    assert.equal(child.signalCode, 'SIGKILL');
  });

  it('kills a child that ignores the signal sent, and the error names that signal', async () => {
    const child = await nodeChild(`process.on('SIGINT', () => {}); setInterval(() => {}, 1000); console.log('ready')`);
    children.push(child);
    await assert.rejects(stopOrKill(child, { name: 'deaf', signal: 'SIGINT', graceMs: 500 }), (err: Error) => {
      assert.match(err.message, /^deaf \(pid \d+\) was still running 500 ms after SIGINT/);
      assert.match(err.message, /state S/);
      return true;
    });
    assert.equal(child.signalCode, 'SIGKILL');
  });

  it('kills third-party software that is slow to stop, and resolves (whenStuck: kill)', async () => {
    const child = await nodeChild(`process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready')`);
    children.push(child);
    await stopOrKill(child, { name: 'dhtnode-like', graceMs: 300, whenStuck: 'kill' });
    assert.equal(child.signalCode, 'SIGKILL');
  });

  it('returns at once for a child that already exited', async () => {
    const child = spawn('true');
    await once(child, 'exit');
    await stopOrKill(child, { name: 'gone', graceMs: 1 });
  });

  it('describes a process by each of its threads', async () => {
    const child = await nodeChild(`setInterval(() => {}, 1000); console.log('ready')`);
    children.push(child);
    const description = await describeStuckProcess(child.pid!);
    // Node runs a main thread and worker threads (libuv, V8): more than one line, each with a state.
    const threads = description.split('\n').filter((line) => /^ {2}thread \d+ .+: state [A-Z]/.test(line));
    assert.ok(threads.length > 1, description);
  });
});

describe('finding the processes a test run left behind', () => {
  afterEach(killChildren);
  it('lists children and grandchildren, and nothing once they are gone', async () => {
    // The grandchild says it is ready once it runs (a shell's forked child is still "sh" until it execs).
    const grandchild = `"${process.execPath}" -e "console.log('ready'); setInterval(() => {}, 1000)"`;
    const shell = spawn('sh', ['-c', `${grandchild} & wait`], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(shell);
    await withTimeout(once(shell.stdout!, 'data'), 10000, 'the grandchild to start');
    const found = descendantsOf(process.pid);
    const node = found.find(({ pid, command }) => pid !== shell.pid && command.includes('setInterval'));
    assert.ok(found.some(({ pid }) => pid === shell.pid), JSON.stringify(found));
    assert.ok(node, JSON.stringify(found));
    process.kill(node.pid, 'SIGKILL');
    await withTimeout(once(shell, 'exit'), 10000, 'the shell to exit');
    const after = descendantsOf(process.pid).map(({ pid }) => pid);
    assert.ok(!after.includes(shell.pid!) && !after.includes(node.pid), JSON.stringify(after));
  });
});
