// An independent WebSocket client (the Node `ws` package) for RawSocketChat's interop tests.
//
//   node ws-client.mjs <ws-url> <scenario>
//
// Runs one scenario against an echo endpoint and prints exactly one JSON object on stdout, e.g.
// {"scenario":"text","ok":true,"text":"hello"}. On failure it prints {"ok":false,"error":"..."} and exits 1.
// RawSocketChat.Tests/Support/NodeWs.cs starts this script and parses that line.

import { createHash } from 'node:crypto';
import WebSocket from 'ws';

const [url, scenario] = process.argv.slice(2);
const TIMEOUT_MS = 10_000;

function finish(result, exitCode = 0) {
  process.stdout.write(JSON.stringify({ scenario, ...result }) + '\n');
  process.exit(exitCode);
}

function fail(error) {
  finish({ ok: false, error: String(error && error.stack ? error.stack : error) }, 1);
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** The 1 MiB test message: byte i is i mod 251 (a prime, so fragment boundaries never line up with the pattern). */
function patternBytes(length) {
  const data = Buffer.alloc(length);
  for (let i = 0; i < length; i++) data[i] = i % 251;
  return data;
}

/** Opens the socket; permessage-deflate is off so every frame is plain RFC 6455 (the server negotiates no extension). */
function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: TIMEOUT_MS });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The next message: { data: Buffer, isBinary }. */
function nextMessage(ws) {
  return new Promise((resolve, reject) => {
    ws.once('message', (data, isBinary) => resolve({ data, isBinary }));
    ws.once('close', (code) => reject(new Error(`closed with ${code} while waiting for a message`)));
  });
}

/** Resolves with the close code and reason once the connection is closed (both Close frames exchanged or TCP gone). */
function closed(ws) {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
}

const scenarios = {
  // A text message comes back as text with the same characters.
  async text(ws) {
    ws.send('hello from ws');
    const { data, isBinary } = await nextMessage(ws);
    return { isBinary, text: data.toString('utf8') };
  },

  // A binary message comes back byte for byte, including 0x00 and 0xFF.
  async binary(ws) {
    const sent = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
    ws.send(sent);
    const { data, isBinary } = await nextMessage(ws);
    return { isBinary, hex: data.toString('hex') };
  },

  // Multi-byte UTF-8: 2-, 3- and 4-byte sequences must survive validation and echo.
  async unicode(ws) {
    ws.send('héllo 👋 世界 🎉');
    const { data, isBinary } = await nextMessage(ws);
    return { isBinary, text: data.toString('utf8') };
  },

  // 1 MiB sent as 16 fragments (RFC 6455 §5.4: first frame Binary with FIN=0, then continuation frames).
  async fragmented(ws) {
    const message = patternBytes(1024 * 1024);
    const chunk = 64 * 1024;
    for (let offset = 0; offset < message.length; offset += chunk) {
      ws.send(message.subarray(offset, offset + chunk), { binary: true, fin: offset + chunk >= message.length });
    }
    const { data, isBinary } = await nextMessage(ws);
    return { isBinary, length: data.length, sentSha256: sha256(message), receivedSha256: sha256(data) };
  },

  // RFC 6455 §5.5.2: the Pong must carry exactly the Ping's application data.
  async ping(ws) {
    const payload = Buffer.from('ping-payload-42');
    const pong = new Promise((resolve) => ws.once('pong', resolve));
    ws.ping(payload);
    const data = await pong;
    return { sent: payload.toString('utf8'), pong: data.toString('utf8') };
  },

  // The client starts the closing handshake; the server echoes the code (§5.5.1).
  async close(ws) {
    const done = closed(ws);
    ws.close(1000, 'bye');
    return await done;
  },

  // A message (8 MiB) far over the server's --max-message-bytes (the test sets 1000), sent in one go as a browser would:
  // the server closes with 1009 (§7.4.1), and that Close must reach us even though most of the payload is unread.
  async toobig(ws) {
    const done = closed(ws);
    ws.send(Buffer.alloc(8 * 1024 * 1024, 0x61));
    return await done;
  },
};

async function main() {
  if (!url || !scenarios[scenario]) {
    fail(`usage: node ws-client.mjs <ws-url> <${Object.keys(scenarios).join('|')}>`);
    return;
  }
  setTimeout(() => fail(`scenario '${scenario}' timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();
  const ws = await open();
  const result = await scenarios[scenario](ws);
  if (ws.readyState === WebSocket.OPEN) {
    const done = closed(ws);
    ws.close(1000);
    await done;
  }
  finish({ ok: true, ...result });
}

main().catch(fail);
