// Puts or gets one value through a DHT bootstrap, run inside a bed namespace with the project's
// OpenDHT binding: `node dht-probe.js put|get HOST PORT KEYHEX VALUE`. Prints one JSON line.

import { DhtRunner, InfoHash } from 'opendht-node';

const ATTEMPTS = 20;

async function main(): Promise<void> {
  const [mode, host, port, keyHex, value] = process.argv.slice(2);
  const runner = new DhtRunner();
  await runner.run({ port: 0 });
  try {
    await runner.bootstrap(host, Number(port));
    const key = InfoHash.fromHex(keyHex);
    if (mode === 'put') {
      await runner.put(key, Buffer.from(value, 'utf8'));
      process.stdout.write(`${JSON.stringify({ put: value, node: runner.getNodeId() })}\n`);
      return;
    }
    // A get can precede the value's arrival at the node it asks: bounded retries, no sleeps.
    for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
      const values = (await runner.get(key)).map((v) => v.data.toString('utf8'));
      if (values.includes(value)) {
        process.stdout.write(`${JSON.stringify({ got: values, attempt })}\n`);
        return;
      }
    }
    throw new Error(`value not found after ${ATTEMPTS} gets`);
  } finally {
    await runner.shutdown();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stdout.write(`${JSON.stringify({ error: error.message })}\n`);
    process.exit(1);
  },
);
