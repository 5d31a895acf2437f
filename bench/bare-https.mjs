// The ceiling of a plain GET over HTTPS keep-alive on this machine: node:https in a node:cluster of
// `workers`, answering every request with the same `bytes` of XML and nothing else.
// Usage: node bench/bare-https.mjs <port> <tls cert> <tls key> <bytes> <workers>
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [port, cert, key, bytes, workers] = process.argv.slice(2);
if (cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < Number(workers); i++) cluster.fork().on('message', () => { if (++ready === Number(workers)) console.log('bare ready'); });
} else {
  const body = Buffer.alloc(Number(bytes), 'x');
  createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml', 'content-length': body.length });
    res.end(body);
  }).listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
}
