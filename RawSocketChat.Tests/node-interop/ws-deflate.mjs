// permessage-deflate interop: Node's `ws` client, compression on, against RawSocketChat's /echo.
//
//   node ws-deflate.mjs <ws-or-wss-url> '<options json>'
//
// options: { "perMessageDeflate": <ws client perMessageDeflate option, or false>, "ca": "<PEM file for wss://>" }
// Sends a series of messages (small, chat-like JSON in a row, 64 KiB of text, 256 KiB of random bytes, Unicode,
// a message in compressed fragments), checks that every echo is byte-for-byte what was sent, and prints one JSON
// object: {"ok":true,"extensions":"...","bytesSent":N,"bytesReceived":N,...}. On failure {"ok":false,"error":...}, exit 1.
// RawSocketChat.Tests/Deflate/NodeScripts.cs starts it.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const [url, optionsJson] = process.argv.slice(2);
const TIMEOUT_MS = 20_000;

function finish(result, exitCode = 0) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(exitCode);
}
const fail = (error) => finish({ ok: false, error: String(error && error.stack ? error.stack : error) }, 1);
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

function open(options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: options.perMessageDeflate,
      handshakeTimeout: TIMEOUT_MS,
      ca: options.ca ? readFileSync(options.ca) : undefined,
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Resolves with the next n messages, in order. */
function nextMessages(ws, n) {
  return new Promise((resolve, reject) => {
    const got = [];
    const onMessage = (data, isBinary) => {
      got.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data), isBinary });
      if (got.length === n) {
        ws.off('message', onMessage);
        resolve(got);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', (code) => reject(new Error(`closed with ${code} after ${got.length} of ${n} messages`)));
  });
}

function chatJson(i) {
  return JSON.stringify({ type: 'message', room: 'lobby', id: `01HX${i.toString(36).padStart(6, '0')}`, user: `user${i % 7}`,
    text: `message number ${i}: héllo, how is everyone doing today?`, ts: 1719000000000 + i * 1337 });
}

async function main() {
  const options = JSON.parse(optionsJson || '{}');
  setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();
  const ws = await open(options);

  const messages = [];
  messages.push({ data: 'hi', binary: false });
  for (let i = 0; i < 50; i++) messages.push({ data: chatJson(i), binary: false });
  messages.push({ data: 'lorem ipsum dolor sit amet, '.repeat(2341).slice(0, 65536), binary: false });
  messages.push({ data: randomBytes(256 * 1024), binary: true });
  messages.push({ data: 'héllo 👋 世界 🎉 '.repeat(100), binary: false });
  messages.push({ data: Buffer.alloc(0), binary: true });

  const echoes = nextMessages(ws, messages.length + 1);
  for (const m of messages) ws.send(m.data, { binary: m.binary });
  // One message in three compressed fragments (RFC 7692 §6: RSV1 on the first frame only; ws handles that).
  const fragmented = Buffer.from(chatJson(99).repeat(40));
  const third = Math.floor(fragmented.length / 3);
  ws.send(fragmented.subarray(0, third), { fin: false, binary: false });
  ws.send(fragmented.subarray(third, 2 * third), { fin: false, binary: false });
  ws.send(fragmented.subarray(2 * third), { fin: true, binary: false });

  const got = await echoes;
  const sent = [...messages, { data: fragmented, binary: false }];
  const mismatches = [];
  sent.forEach((m, i) => {
    const expected = Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data, 'utf8');
    if (got[i].isBinary !== m.binary || sha256(got[i].data) !== sha256(expected)) mismatches.push(i);
  });

  const bytesSent = ws._socket.bytesWritten;
  const bytesReceived = ws._socket.bytesRead;
  const done = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  ws.close(1000);
  const closeCode = await done;
  const payloadBytes = sent.reduce((n, m) => n + (Buffer.isBuffer(m.data) ? m.data.length : Buffer.byteLength(m.data)), 0);
  finish({ ok: mismatches.length === 0, mismatches, messages: sent.length, extensions: ws.extensions,
    negotiated: ws._extensions && ws._extensions['permessage-deflate'] ? ws._extensions['permessage-deflate'].params : null,
    payloadBytes, bytesSent, bytesReceived, closeCode }, mismatches.length === 0 ? 0 : 1);
}

main().catch(fail);
