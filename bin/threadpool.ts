// Imported first by the daemon: RSA key generation and argon2 (aesEncrypt/aesDecrypt) run on libuv's
// thread pool, which file I/O shares; 4 threads would let a few links stall every D-Bus call that reads
// a file. libuv reads this once, at the pool's first use.
process.env.UV_THREADPOOL_SIZE ??= '8';
