// TLS interop: Node's `ws` client over wss:// (and a plain https GET) against RawSocketChat with --tls-cert.
//
//   node ws-tls.mjs <wss-url> <ca-pem-file>
//
// The CA file is the server's self-signed certificate, so the client verifies the chain and the name (no
// rejectUnauthorized:false). Echoes a text and a 100 KiB binary message over wss://, fetches GET / over https://,
// and prints one JSON object: {"ok":true,"tlsVersion":"TLSv1.3","alpn":"http/1.1","httpsStatus":200,...}.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import WebSocket from 'ws';

const [url, caFile] = process.argv.slice(2);
const TIMEOUT_MS = 15_000;
const ca = readFileSync(caFile);

function finish(result, exitCode = 0) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(exitCode);
}
const fail = (error) => finish({ ok: false, error: String(error && error.stack ? error.stack : error) }, 1);
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

function httpsGet(target) {
  return new Promise((resolve, reject) => {
    https.get(target, { ca }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

async function main() {
  setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();
  const ws = await new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { ca, perMessageDeflate: false, handshakeTimeout: TIMEOUT_MS });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
  const tlsVersion = ws._socket.getProtocol();
  const alpn = ws._socket.alpnProtocol;

  const binary = randomBytes(100 * 1024);
  const echoes = new Promise((resolve, reject) => {
    const got = [];
    ws.on('message', (data, isBinary) => {
      got.push({ data, isBinary });
      if (got.length === 2) resolve(got);
    });
    ws.once('close', (code) => reject(new Error(`closed with ${code}`)));
  });
  ws.send('hello over wss');
  ws.send(binary);
  const [text, bin] = await echoes;

  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  ws.close(1000);
  const closeCode = await closed;

  const httpsStatus = await httpsGet(url.replace(/^wss:/, 'https:').replace(/\/echo$/, '/'));
  const ok = text.data.toString('utf8') === 'hello over wss' && !text.isBinary && bin.isBinary && sha256(bin.data) === sha256(binary);
  finish({ ok, tlsVersion, alpn, closeCode, httpsStatus }, ok ? 0 : 1);
}

main().catch(fail);
