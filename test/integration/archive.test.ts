// Jami account archives through D-Bus: import files (addAccount with Account.archivePath), write
// backups (exportToFile), round trips between two daemons, and every kind of bad file.

import assert from 'node:assert/strict';
import { promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync, deflateSync } from 'node:zlib';
import dbus from 'dbus-next';
import { aesDecrypt, aesEncrypt } from 'opendht-node';
import { startTestBus, type PrivateBus } from '../support/private-bus.js';
import { startDaemonProcess, tempDir, type RunningDaemon } from '../support/daemon-process.js';
import { TestClient } from '../support/client.js';
import { rememberSecret } from '../support/secrets.js';

type Details = Record<string, string>;
const SESAME = rememberSecret('open sesame');
const KETTLE = rememberSecret('kettle-9417');

describe('Jami account archives', function () {
  this.timeout(60000);
  let bus: PrivateBus;
  let first: RunningDaemon;
  let second: RunningDaemon;
  let a: TestClient;
  let b: TestClient;
  let files: string;

  before(async () => {
    bus = await startTestBus();
    // Two daemons on one bus under different names: "another machine" for round trips.
    first = await startDaemonProcess({ busAddress: bus.address, busName: 'cx.ring.Ring' });
    second = await startDaemonProcess({ busAddress: bus.address, busName: 'cx.ring.Ring.second' });
    a = await TestClient.connect(bus.address, 'cx.ring.Ring');
    b = await TestClient.connect(bus.address, 'cx.ring.Ring.second');
    files = tempDir('jami-archives-');
  });

  after(async () => {
    a?.close();
    b?.close();
    await first?.stop();
    await second?.stop();
    await bus?.stop();
  });

  async function readJson(file: string, password?: string): Promise<Record<string, unknown>> {
    const bytes = await fs.readFile(file);
    const { inflateSync } = await import('node:zlib');
    const plain = password ? inflateSync(await aesDecrypt(bytes, password)) : gunzipSync(bytes);
    return JSON.parse(plain.toString('utf8'));
  }

  async function backup(accountId: string, password = ''): Promise<string> {
    const file = path.join(files, `${accountId}-${password ? 'pw' : 'plain'}.gz`);
    assert.equal(await a.call('exportToFile', accountId, file, password ? 'password' : '', password), true);
    return file;
  }

  it('writes a gzip JSON backup with Jami\'s keys: base64 PEM keys, account certificate followed by its CA', async () => {
    const id = await a.createAccount({ 'Account.alias': 'Backed up' });
    const content = await readJson(await backup(id));
    for (const key of ['ringCaKey', 'ringAccountKey', 'ringAccountCert', 'ethKey']) assert.equal(typeof content[key], 'string', key);
    const cert = Buffer.from(content.ringAccountCert as string, 'base64').toString('utf8');
    assert.equal(cert.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2, 'account certificate + CA');
    assert.match(Buffer.from(content.ringAccountKey as string, 'base64').toString('utf8'), /-----BEGIN (RSA )?PRIVATE KEY-----/);
    assert.equal(Buffer.from(content.ethKey as string, 'base64').length, 32);
    assert.equal(content['Account.alias'], 'Backed up');
  });

  it('round-trips an account through a file into another daemon: same Jami ID, same keys, a new device', async () => {
    const id = await a.createAccount({ 'Account.alias': 'Travelling' });
    const file = await backup(id);
    // Keys this daemon does not use must survive the round trip.
    const content = await readJson(file);
    content.conversations = [{ id: 'c1', members: ['x'] }];
    content['TURN.server'] = 'turn.example.org';
    content.someFutureKey = { nested: true };
    await fs.writeFile(file, gzipSync(JSON.stringify(content)));

    const imported = await b.createAccount({ 'Account.type': 'RING', 'Account.archivePath': file });
    const source = await a.call<Details>('getAccountDetails', id);
    const copy = await b.call<Details>('getAccountDetails', imported);
    assert.equal(copy['Account.username'], source['Account.username']);
    assert.notEqual(copy['Account.deviceID'], source['Account.deviceID']);
    assert.equal(copy['Account.alias'], 'Travelling');

    const back = path.join(files, 'back.gz');
    assert.equal(await b.call('exportToFile', imported, back, '', ''), true);
    assert.deepEqual(await readJson(back), content, 'nothing lost, nothing changed');
  });

  it('round-trips a password-protected archive and keeps it encrypted with the password', async () => {
    const id = await a.createAccount({ 'Account.alias': 'Locked', 'Account.archivePassword': SESAME });
    const file = await backup(id, SESAME);
    await assert.rejects(readJson(file), 'not plain gzip');
    const content = await readJson(file, SESAME);
    const imported = await b.createAccount({ 'Account.archivePath': file, 'Account.archivePassword': SESAME });
    const copy = await b.call<Details>('getAccountDetails', imported);
    assert.equal(copy['Account.username'], (await a.call<Details>('getAccountDetails', id))['Account.username']);
    assert.equal(copy['Account.archiveHasPassword'], 'true');
    const back = path.join(files, 'back-pw.gz');
    assert.equal(await b.call('exportToFile', imported, back, 'password', SESAME), true);
    assert.deepEqual(await readJson(back, SESAME), content);
  });

  it('refuses to export with a wrong password or scheme, or for an unknown account', async () => {
    const id = await a.createAccount({ 'Account.archivePassword': 'right' });
    const file = path.join(files, 'never.gz');
    assert.equal(await a.call('exportToFile', id, file, 'password', 'wrong'), false);
    assert.equal(await a.call('exportToFile', id, file, '', ''), false);
    assert.equal(await a.call('exportToFile', 'unknown', file, '', ''), false);
    await assert.rejects(fs.stat(file), /ENOENT/);
    await assert.rejects(a.call('exportToFile', id, 'relative.gz', 'password', 'right'), /absolute/);
  });

  it('accepts zlib as well as gzip compression', async () => {
    const id = await a.createAccount({ 'Account.alias': 'Zlib' });
    const content = await readJson(await backup(id));
    const file = path.join(files, 'zlib.gz');
    await fs.writeFile(file, deflateSync(JSON.stringify(content)));
    const imported = await b.createAccount({ 'Account.archivePath': file });
    assert.equal((await b.call<Details>('getAccountDetails', imported))['Account.username'], (await a.call<Details>('getAccountDetails', id))['Account.username']);
  });

  describe('bad files are refused with a clear error and nothing is created', () => {
    let good: Record<string, unknown>;
    let goodFile: string;
    let encrypted: string;

    before(async () => {
      const id = await a.createAccount({ 'Account.alias': 'Template' });
      goodFile = await backup(id);
      good = await readJson(goodFile);
      encrypted = path.join(files, 'encrypted.gz');
      await fs.writeFile(encrypted, await aesEncrypt(deflateSync(JSON.stringify(good)), KETTLE));
    });

    async function refused(details: Details, errorName: string, pattern: RegExp): Promise<void> {
      const before = await b.call<string[]>('getAccountList');
      const dirsBefore = readdirSync(second.dataDir).length;
      await assert.rejects(b.call('addAccount', details), (error: dbus.DBusError) => {
        assert.equal(error.type, errorName, error.text);
        assert.match(error.text, pattern);
        assert.ok(!error.text.includes('\n'));
        return true;
      });
      assert.deepEqual(await b.call('getAccountList'), before);
      assert.equal(readdirSync(second.dataDir).length, dirsBefore);
    }

    async function fileWith(name: string, bytes: Buffer | string): Promise<string> {
      const file = path.join(files, name);
      await fs.writeFile(file, bytes);
      return file;
    }

    it('not an archive', async () => {
      await refused({ 'Account.archivePath': await fileWith('text.txt', 'hello, I am not an archive') }, 'cx.ring.Ring.Error.InvalidArchive', /not an account archive/);
    });

    it('truncated', async () => {
      const bytes = await fs.readFile(goodFile);
      await refused({ 'Account.archivePath': await fileWith('truncated.gz', bytes.subarray(0, bytes.length / 2)) }, 'cx.ring.Ring.Error.InvalidArchive', /truncated/);
    });

    it('a wrong password, told apart from a corrupt file', async () => {
      await refused({ 'Account.archivePath': encrypted, 'Account.archivePassword': 'not it' }, 'cx.ring.Ring.Error.WrongPassword', /wrong password/);
      await refused({ 'Account.archivePath': encrypted }, 'cx.ring.Ring.Error.WrongPassword', /password is needed/);
    });

    it('a missing account key', async () => {
      const { ringAccountKey: _dropped, ...rest } = good;
      await refused({ 'Account.archivePath': await fileWith('nokey.gz', gzipSync(JSON.stringify(rest))) }, 'cx.ring.Ring.Error.InvalidArchive', /ringAccountKey/);
    });

    it('a corrupt certificate', async () => {
      const pem = Buffer.from(good.ringAccountCert as string, 'base64').toString('utf8');
      const broken = pem.replace(/(-----BEGIN CERTIFICATE-----\n)(.{40})/, (_, head, body) => head + body.split('').reverse().join(''));
      const file = await fileWith('badcert.gz', gzipSync(JSON.stringify({ ...good, ringAccountCert: Buffer.from(broken).toString('base64') })));
      await refused({ 'Account.archivePath': file }, 'cx.ring.Ring.Error.InvalidArchive', /certificate/);
    });

    it('a key that does not match the certificate', async () => {
      const other = await readJson(await backup(await a.createAccount({ 'Account.alias': 'Other' })));
      const file = await fileWith('mismatch.gz', gzipSync(JSON.stringify({ ...good, ringAccountKey: other.ringAccountKey })));
      await refused({ 'Account.archivePath': file }, 'cx.ring.Ring.Error.InvalidArchive', /does not match/);
    });

    it('a missing file or a relative path', async () => {
      await refused({ 'Account.archivePath': path.join(files, 'absent.gz') }, 'cx.ring.Ring.Error.InvalidArgument', /ENOENT/);
      await refused({ 'Account.archivePath': 'relative.gz' }, 'cx.ring.Ring.Error.InvalidArgument', /absolute/);
    });
  });
});
