#!/usr/bin/env node
// The daemon's entry point: sets the size of libuv's thread pool, then runs the daemon (jami-linkd.js).
//
// RSA key generation and argon2 (aesEncrypt/aesDecrypt) run on that pool, which file I/O shares; 4 threads would
// let a few links stall every D-Bus call that reads a file. libuv reads the size once, when the pool is first
// used, and an ES module is read through the pool before its first line runs: hence this CommonJS file, which is
// read without it. (A `UV_THREADPOOL_SIZE` already set is kept. An ES module preloaded with `--import`, in
// NODE_OPTIONS say, starts the pool before this file runs: set the variable outside then.)

process.env.UV_THREADPOOL_SIZE ??= '8';
void import('./jami-linkd.js');
