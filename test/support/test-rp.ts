import express from 'express';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { makeLocalhostTls } from './pki.js';

const SAML = 'urn:oasis:names:tc:SAML:1.0:assertion';

/**
 * A plain WS-Federation relying party for browser tests (a second application beside Entra): it
 * checks the assertion's signature with xml-crypto against the IdP certificate it was given,
 * shows who signed in, and records wsignoutcleanup1.0 calls.
 */
export async function startTestRelyingParty(idpCertPem: () => string) {
  const tls = await makeLocalhostTls();
  const signIns: string[] = [];
  /** The signed AuthenticationStatement's AuthenticationMethod of each sign-in, in order. */
  const methods: string[] = [];
  const cleanups: string[] = [];
  const app = express();
  app.post('/wsfed', express.urlencoded({ extended: false, limit: '1mb' }), (req, res) => {
    const wresult = String((req.body as Record<string, unknown>).wresult ?? '');
    const doc = new DOMParser().parseFromString(wresult, 'text/xml');
    const assertion = doc.getElementsByTagNameNS(SAML, 'Assertion')[0];
    const signature = assertion?.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0];
    const verifier = new SignedXml({ publicCert: idpCertPem(), idAttribute: 'AssertionID' });
    if (!assertion || !signature) return void res.status(400).send('no signed assertion');
    verifier.loadSignature(signature.toString());
    const assertionXml = wresult.slice(wresult.indexOf('<saml:Assertion'), wresult.indexOf('</saml:Assertion>') + '</saml:Assertion>'.length);
    if (!verifier.checkSignature(assertionXml)) return void res.status(400).send('bad signature');
    const signed = new DOMParser().parseFromString(verifier.getSignedReferences()[0]!, 'text/xml');
    const name = signed.getElementsByTagNameNS(SAML, 'NameIdentifier')[0]?.textContent ?? '';
    const method = signed.getElementsByTagNameNS(SAML, 'AuthenticationStatement')[0]?.getAttribute('AuthenticationMethod') ?? '';
    signIns.push(name);
    methods.push(method);
    res.type('html').send(`<!doctype html><html lang="en"><head><title>App</title></head><body><h1 id="app-signed-in">Signed in to the app</h1><p id="app-user">${name.replace(/[<&]/g, '')}</p><p id="app-method">${method.replace(/[<&]/g, '')}</p></body></html>`);
  });
  app.get('/wsfed', (req, res) => {
    if (req.query.wa !== 'wsignoutcleanup1.0') return void res.status(400).send('unsupported');
    cleanups.push(new Date().toISOString());
    res.type('text/plain').send('signed out');
  });
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://localhost:${(server.address() as AddressInfo).port}`;
  return {
    url,
    replyUrl: `${url}/wsfed`,
    certPem: tls.certPem,
    signIns,
    methods,
    cleanups,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
