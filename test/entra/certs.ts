import 'reflect-metadata';
import { createHash, webcrypto, KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// `never`: the parameter is the DOM Crypto type, which exists only when some file pulls in DOM typings.
x509.cryptoProvider.set(webcrypto as never);

const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

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

const validity = () => ({ notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 365 * 24 * 3600_000) });

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A self-signed certificate an app registration can use for client assertions. */
export async function newClientCertificate(name: string): Promise<ClientCertificate> {
  const keys = await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: `CN=${name}`, keys, signingAlgorithm: rsa, ...validity(),
  });
  const der = Buffer.from(cert.rawData);
  return {
    privateKeyPem: await keyPem(keys.privateKey),
    certificatePem: cert.toString('pem'),
    publicKeyPem: KeyObject.from(keys.publicKey).export({ type: 'spki', format: 'pem' }).toString(),
    thumbprintSha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}

/** The double's own CA and a server certificate for 127.0.0.1 / localhost issued by it. */
export async function newTlsMaterial(): Promise<TlsMaterial> {
  const caKeys = await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=Gatehouse Entra double test CA', keys: caKeys, signingAlgorithm: rsa, ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const keys = await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '02', subject: 'CN=127.0.0.1', issuer: ca.subject, publicKey: keys.publicKey,
    signingKey: caKeys.privateKey, signingAlgorithm: rsa, ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }]),
    ],
  });
  return { caCertPem: ca.toString('pem'), keyPem: await keyPem(keys.privateKey), certPem: cert.toString('pem') };
}
