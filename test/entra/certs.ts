import { createHash, createPublicKey } from 'node:crypto';
import { makeServerCert, makeTestCa, makeTestCert } from '../support/pki.js';

export interface ClientCertificate {
  privateKeyPem: string;
  certificatePem: string;
  publicKeyPem: string;
  /** Hex upper-case, as the portal shows it (and as msal-node takes it). */
  thumbprintSha1: string;
  thumbprintSha256: string;
}

export interface TlsMaterial {
  caCertPem: string;
  keyPem: string;
  certPem: string;
}

/** A self-signed certificate an app registration can use for client assertions. */
export async function newClientCertificate(name: string): Promise<ClientCertificate> {
  const cert = await makeTestCert(name);
  return {
    privateKeyPem: cert.keyPem,
    certificatePem: cert.certPem,
    publicKeyPem: createPublicKey(cert.key).export({ type: 'spki', format: 'pem' }).toString(),
    thumbprintSha1: cert.thumbprint,
    thumbprintSha256: createHash('sha256').update(cert.certDer).digest('hex').toUpperCase(),
  };
}

/** The double's own CA and a server certificate for 127.0.0.1 / localhost issued by it. */
export async function newTlsMaterial(): Promise<TlsMaterial> {
  const ca = await makeTestCa('Gatehouse Entra double test CA');
  const server = await makeServerCert(ca, { ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] });
  return { caCertPem: ca.certPem, ...server };
}
