// Signals caused by a method call go out after that call's reply, as jamid posts them: a script that
// waits for addDevice's op id must not miss the addDeviceStateChanged(op, 2) it caused. A call runs in
// its own async context; signals emitted inside it (or in anything it started) wait until the reply
// is sent. Signals from elsewhere (the network, timers of earlier calls) are not held back.

import { AsyncLocalStorage } from 'node:async_hooks';

interface CallInFlight {
  replied: boolean;
  readonly held: Array<() => void>;
}

const currentCall = new AsyncLocalStorage<CallInFlight>();

/** Runs a method call; `reply` sends its answer, after which the signals it caused are sent in order. */
export async function runCall<T>(call: () => Promise<T>, reply: (outcome: { value: T } | { error: unknown }) => void): Promise<void> {
  const inFlight: CallInFlight = { replied: false, held: [] };
  await currentCall.run(inFlight, async () => {
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await call() };
    } catch (error) {
      outcome = { error };
    }
    try {
      reply(outcome);
    } finally {
      inFlight.replied = true;
      for (const send of inFlight.held.splice(0)) send();
    }
  });
}

/** Sends a signal now, or once the reply of the call that caused it is out. */
export function sendAfterReply(send: () => void): void {
  const inFlight = currentCall.getStore();
  if (inFlight === undefined || inFlight.replied) send();
  else inFlight.held.push(send);
}
