// Cuts one daemon's DHT node off the network while the daemon itself (D-Bus, WebRTC) keeps running: a tiny
// LD_PRELOAD library, built with the system C compiler, silently drops every UDP datagram sent or received
// on the socket bound to the port written in a switch file. No file, no effect. Needs no privileges.

import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, type RunningDaemon } from './daemon-process.js';

const SWITCH_ENV = 'JAMI_LINKD_TEST_DHT_CUT_FILE';

// sendto/recvfrom are what OpenDHT's UdpSocket uses (nm -D libopendht.so); libjuice's sockets (WebRTC) and
// libuv's (sendmsg/recvmsg) are on other ports or other calls, so they pass untouched.
const SHIM_SOURCE = String.raw`
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*recvfrom_fn)(int, void *, size_t, int, struct sockaddr *, socklen_t *);

static int cut_port(void) {
  const char *file = getenv("${SWITCH_ENV}");
  struct stat st;
  if (file == NULL || stat(file, &st) != 0) return -1;
  char text[16] = {0};
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  return n > 0 ? atoi(text) : -1;
}

static int is_cut(int sock) {
  int saved = errno;
  int port = cut_port();
  int cut = 0;
  if (port > 0) {
    struct sockaddr_storage local;
    socklen_t length = sizeof local;
    if (getsockname(sock, (struct sockaddr *)&local, &length) == 0) {
      if (local.ss_family == AF_INET) cut = ntohs(((struct sockaddr_in *)&local)->sin_port) == port;
      else if (local.ss_family == AF_INET6) cut = ntohs(((struct sockaddr_in6 *)&local)->sin6_port) == port;
    }
  }
  errno = saved;
  return cut;
}

ssize_t sendto(int sock, const void *data, size_t size, int flags, const struct sockaddr *to, socklen_t to_length) {
  static sendto_fn real = NULL;
  if (real == NULL) real = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
  if (is_cut(sock)) return (ssize_t)size; /* "sent", into the void */
  return real(sock, data, size, flags, to, to_length);
}

ssize_t recvfrom(int sock, void *data, size_t size, int flags, struct sockaddr *from, socklen_t *from_length) {
  static recvfrom_fn real = NULL;
  if (real == NULL) real = (recvfrom_fn)dlsym(RTLD_NEXT, "recvfrom");
  ssize_t received = real(sock, data, size, flags, from, from_length);
  if (received > 0 && is_cut(sock)) return 0; /* consumed and dropped: OpenDHT ignores empty reads */
  return received;
}
`;

let built: string | undefined;

/** Compiles the library once per test process; returns the path of the .so. */
export function dhtCutLibrary(): string {
  if (built !== undefined && existsSync(built)) return built;
  const dir = tempDir('dht-cut-');
  const source = path.join(dir, 'dht-cut.c');
  const library = path.join(dir, 'dht-cut.so');
  writeFileSync(source, SHIM_SOURCE);
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', library, source, '-ldl'], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`cannot build the DHT cut library with cc (apt-get install gcc): ${(error as Error).message}`);
  }
  built = library;
  return library;
}

/** The switch of one daemon: pass `env` when spawning it, then cut() and restore() its DHT node. */
export class DhtCutSwitch {
  readonly file: string;
  readonly env: NodeJS.ProcessEnv;

  constructor() {
    this.file = path.join(tempDir('dht-cut-switch-'), 'port');
    this.env = { LD_PRELOAD: dhtCutLibrary(), [SWITCH_ENV]: this.file };
  }

  /** From now on the daemon's DHT node neither sends nor receives anything. */
  cut(daemon: RunningDaemon): void {
    const next = `${this.file}.next`;
    writeFileSync(next, String(dhtPortOf(daemon)));
    renameSync(next, this.file);
  }

  restore(): void {
    rmSync(this.file, { force: true });
  }

  get isCut(): boolean {
    return existsSync(this.file);
  }
}

/** The UDP port of a daemon's DHT node, from its "jami-linkd ready" log line. */
export function dhtPortOf(daemon: RunningDaemon): number {
  const line = daemon.logs.find((entry) => entry.includes('"jami-linkd ready"'));
  const port = line === undefined ? undefined : (JSON.parse(line) as { dhtPort?: number }).dhtPort;
  if (typeof port !== 'number' || port <= 0) throw new Error('the daemon has not logged its DHT port');
  return port;
}
