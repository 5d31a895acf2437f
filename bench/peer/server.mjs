// The peer of bench/http.bench.ts: auth0's `wsfed` middleware (npm) issuing a signed SAML 1.1
// WS-Fed token, on express 4 over HTTPS, in a node:cluster of 2 workers, as its README sets it up.
// It has no directory and no session store: the user comes from a cookie being present, which
// leaves it only the token work (claims, SAML assertion, signature, the form post) to do.
// Usage: node bench/peer/server.mjs <port> <tls cert> <tls key> <signing cert> <signing key>
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import express from 'express';
import wsfed from 'wsfed';

const [port, tlsCert, tlsKey, signCert, signKey] = process.argv.slice(2);
if (cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < 2; i++) cluster.fork().on('message', () => { if (++ready === 2) console.log('peer ready'); });
} else {
  const app = express();
  app.get('/wsfed', (req, res, next) => {
    if (!/peer_sso=1/.test(req.headers.cookie ?? '')) return res.status(401).send('no session');
    req.user = { id: 'alice', emails: [{ value: 'alice@corp.example.com' }], displayName: 'Alice', name: { givenName: 'Alice', familyName: 'Anders' } };
    next();
  }, wsfed.auth({
    issuer: 'http://corp.example.com/adfs/services/trust/',
    cert: readFileSync(signCert),
    key: readFileSync(signKey),
    getPostURL: (wtrealm, wreply, req, cb) => cb(null, 'https://login.microsoftonline.com/login.srf'),
  }));
  createServer({ cert: readFileSync(tlsCert), key: readFileSync(tlsKey) }, app).listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
}
