// Test helper: a CommandContext whose output is captured and whose input is a stream the test writes.

import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import type { CommandContext } from '../../../client/command-context.js';
import { Prompter } from '../../../client/prompt.js';
import { HumanReporter, JsonReporter, makeStyle } from '../../../client/render.js';

export class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }

  get lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
}

export interface TestContext extends CommandContext {
  stdout: Capture;
  stderr: Capture;
  stdin: PassThrough;
}

/** Standard input as a terminal: raw mode is recorded, keystrokes are what the test writes. */
export class FakeTerminalInput extends PassThrough {
  readonly isTTY = true;
  readonly rawModes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.rawModes.push(mode);
    return this;
  }
}

export function testContext(options: { json?: boolean; bus?: string; terminal?: boolean } = {}): TestContext {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = options.terminal ? new FakeTerminalInput() : new PassThrough();
  const style = makeStyle(false);
  const json = options.json === true;
  return {
    stdout,
    stderr,
    stdin,
    style,
    json,
    reporter: json ? new JsonReporter(stdout) : new HumanReporter(stdout, stderr, style),
    prompter: new Prompter(stdin, stderr),
    interrupts: new EventEmitter<{ interrupt: [] }>(),
    bus: { bus: options.bus ?? 'unix:path=/nonexistent/jami-link-test', busName: 'cx.ring.Ring' },
  };
}
