import { createServer, type Server } from 'node:https';
import * as samlify from 'samlify';
import { SignedXml } from 'xml-crypto';
import { makeLocalhostTls, makeTestCert, type TestCert } from './pki.js';

// samlify validates what it parses against the schema; here it only writes metadata.
samlify.setSchemaValidator({ validate: async () => 'skipped' });

const { binding } = samlify.Constants.namespace;

/**
 * A SAML 2.0 service provider's metadata as samlify (a party we did not write) publishes it: two
 * ACS (POST default index 0, Redirect index 1), Redirect SLO, signing and encryption certificates,
 * AuthnRequestsSigned and WantAssertionsSigned, a persistent NameIDFormat.
 */
export async function samlifySpMetadata(opts: { entityId?: string; acs?: string; authnRequestsSigned?: boolean; wantAssertionsSigned?: boolean; cert?: TestCert } = {}): Promise<{ xml: string; cert: TestCert; entityId: string }> {
  const cert = opts.cert ?? (await makeTestCert('Test SP'));
  const entityId = opts.entityId ?? 'https://sp.example.org/metadata';
  const base = opts.acs ?? 'https://sp.example.org';
  const sp = samlify.ServiceProvider({
    entityID: entityId,
    authnRequestsSigned: opts.authnRequestsSigned ?? true,
    wantAssertionsSigned: opts.wantAssertionsSigned ?? true,
    signingCert: cert.certPem,
    privateKey: cert.keyPem,
    encryptCert: cert.certPem,
    encPrivateKey: cert.keyPem,
    nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
    assertionConsumerService: [
      { Binding: binding.post, Location: `${base}/acs`, isDefault: true },
      { Binding: binding.redirect, Location: `${base}/acs-redirect` },
    ],
    singleLogoutService: [{ Binding: binding.redirect, Location: `${base}/slo` }],
  });
  return { xml: sp.getMetadata(), cert, entityId };
}

/** Signs metadata as a federation operator does: an ID on the root, an enveloped RSA-SHA256 signature as its first child (xml-crypto). */
export function signMetadata(xml: string, signer: TestCert, id = '_md1'): string {
  const withId = xml.replace('<EntityDescriptor ', `<EntityDescriptor ID="${id}" `);
  const sx = new SignedXml({ privateKey: signer.keyPem, publicCert: signer.certPem, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
  sx.addReference({
    xpath: `/*[@ID='${id}']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sx.computeSignature(withId, { location: { reference: `/*[@ID='${id}']`, action: 'prepend' } });
  return sx.getSignedXml();
}

/** An HTTPS server on loopback serving `documents[path]` (changeable while it runs), or `status` for the rest. */
export async function startMetadataServer(): Promise<{ url: (path: string) => string; caPem: string; documents: Map<string, string | { status: number } | { hang: true }>; requests: string[]; stop(): Promise<void> }> {
  const tls = await makeLocalhostTls();
  const documents = new Map<string, string | { status: number } | { hang: true }>();
  const requests: string[] = [];
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    requests.push(req.url ?? '');
    const doc = documents.get(req.url ?? '');
    if (doc === undefined) return void res.writeHead(404).end();
    if (typeof doc === 'string') return void res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(doc);
    if ('hang' in doc) return; // never answers: the client's time limit must end it
    res.writeHead(doc.status, doc.status >= 300 && doc.status < 400 ? { location: 'https://127.0.0.1:1/elsewhere' } : {}).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path) => `https://localhost:${port}${path}`,
    caPem: tls.certPem,
    documents,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
