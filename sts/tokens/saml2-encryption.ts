import { constants, createCipheriv, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { DS } from '../../xml/dsig.js';
import { namespace, XmlWriter, type WrittenXml } from '../../xml/writer.js';
import { SAML2 } from './saml2-assertion.js';

const XENC = namespace('xenc', 'http://www.w3.org/2001/04/xmlenc#');
const ELEMENT_TYPE = 'http://www.w3.org/2001/04/xmlenc#Element';
/** RSA-OAEP with MGF1-SHA1 and SHA-1 digest (XML Encryption 1.0 §5.4.2): what every SAML SP decrypts. */
const RSA_OAEP = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';

export type DataEncryption = 'aes256-gcm' | 'aes256-cbc';

const CIPHERS: Readonly<Record<DataEncryption, { uri: string; node: string; ivBytes: number }>> = {
  // XML Encryption 1.1 §5.2.4: IV (12) | ciphertext | tag (16).
  'aes256-gcm': { uri: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', node: 'aes-256-gcm', ivBytes: 12 },
  // XML Encryption 1.0 §5.2.2: IV (16) | ciphertext, padded so the last octet counts the padding (PKCS#7 is such a padding).
  'aes256-cbc': { uri: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc', node: 'aes-256-cbc', ivBytes: 16 },
};

/**
 * SAML Core §2.3.4 EncryptedAssertion: the (signed) assertion encrypted with a fresh AES-256 key,
 * the key transported to the relying party's certificate with RSA-OAEP in an EncryptedKey inside
 * EncryptedData's KeyInfo (the layout Shibboleth, AD FS and node-saml exchange). Written with the
 * typed writer like every other output; node:crypto does the cryptography.
 */
export function encryptAssertion(assertion: WrittenXml, certificatePem: string, cipher: DataEncryption): WrittenXml {
  const c = CIPHERS[cipher];
  const key = randomBytes(32);
  const iv = randomBytes(c.ivBytes);
  const enc = createCipheriv(c.node, key, iv);
  const body = Buffer.concat([enc.update(Buffer.from(assertion.xml, 'utf8')), enc.final()]);
  const data = cipher === 'aes256-gcm' ? Buffer.concat([iv, body, (enc as ReturnType<typeof createCipheriv> & { getAuthTag(): Buffer }).getAuthTag()]) : Buffer.concat([iv, body]);
  const rsaKey = new X509Certificate(certificatePem).publicKey;
  const wrapped = publicEncrypt({ key: rsaKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key);

  const w = new XmlWriter().start(SAML2, 'EncryptedAssertion');
  w.start(XENC, 'EncryptedData', { Type: ELEMENT_TYPE }).leaf(XENC, 'EncryptionMethod', '', { Algorithm: c.uri });
  w.start(DS, 'KeyInfo')
    .start(XENC, 'EncryptedKey')
    .start(XENC, 'EncryptionMethod', { Algorithm: RSA_OAEP })
    .leaf(DS, 'DigestMethod', '', { Algorithm: SHA1 })
    .end()
    .start(XENC, 'CipherData')
    .leaf(XENC, 'CipherValue', wrapped.toString('base64'))
    .end()
    .end()
    .end();
  w.start(XENC, 'CipherData').leaf(XENC, 'CipherValue', data.toString('base64')).end();
  return w.end().end().finish();
}
