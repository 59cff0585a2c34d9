// Starts CongoServer, the wire-compatible in-memory MongoDB server of @push.rocks/smartmongo, on loopback for the
// MongoDB store tests (see docs/storage.md). It is NOT MongoDB: it does not enforce unique indexes and has no
// transactions or change streams, so the tests that need those run only against a real server.
//
//   node mongo-test/start.mjs [PORT] [READY_FILE]
//
// PORT 0 (the default) lets the kernel choose a free port. Once the server accepts connections, READY_FILE (if given)
// is written with one line "PID PORT" and the same line goes to stdout; the connection string is then
// mongodb://127.0.0.1:PORT/?directConnection=true. SIGTERM or SIGINT stops the server and exits 0.
import { writeFileSync, renameSync } from 'node:fs';
import { CongoServer } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';

const requested = Number.parseInt(process.argv[2] ?? '0', 10);
const readyFile = process.argv[3];
if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
  console.error(`usage: node start.mjs [PORT] [READY_FILE] (PORT 0-65535, got '${process.argv[2]}')`);
  process.exit(2);
}

const server = new CongoServer({ host: '127.0.0.1', port: requested, storage: 'memory' });
try {
  await server.start();
} catch (error) {
  console.error(`congodb: cannot listen on 127.0.0.1:${requested}: ${error.message}`);
  process.exit(1);
}

// With port 0 the options still say 0: ask the listening socket which port it got.
const port = server['server']?.address()?.port ?? server.port;
const line = `${process.pid} ${port}`;
if (readyFile) {
  // Written whole, then renamed, so a script polling for the file never reads half a line.
  writeFileSync(`${readyFile}.tmp`, line + '\n');
  renameSync(`${readyFile}.tmp`, readyFile);
}
console.log(`congodb listening on mongodb://127.0.0.1:${port}/?directConnection=true (pid ${process.pid})`);

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
  } finally {
    console.log(`congodb stopped (${signal})`);
    process.exit(0);
  }
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
