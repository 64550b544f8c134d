// cx.ring.Ring.Instance at /cx/ring/Ring/Instance: Jami's clients and jamictrl call Register before anything
// else (jamictrl gives up when it fails) and Unregister when they leave. jami-linkd only counts them: it is a
// service that outlives its clients, where jamid quits when the last one leaves.

import type { MethodImplementation } from './exported-object.js';

export interface InstanceLogger {
  info(fields: Record<string, unknown>, message: string): void;
}

export function instance(logger: InstanceLogger): Record<string, MethodImplementation> {
  const registered = new Set<number>();
  return {
    Register([pid, name]) {
      registered.add(pid as number);
      logger.info({ pid, name: String(name).slice(0, 64), clients: registered.size }, 'client registered');
    },
    Unregister([pid]) {
      registered.delete(pid as number);
      logger.info({ pid, clients: registered.size }, 'client unregistered');
    },
  };
}
