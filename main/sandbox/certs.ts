/**
 * Certificates of one sandbox: a CA made for this sandbox alone, a loopback server certificate it
 * signs, and app certificates for client-assertion sign-in. Keys come from node:crypto (fast);
 * node-forge only builds and signs the X.509 structures.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface SandboxCa {
  certPem: string;
  keyPem: string;
}

export interface IssuedCert {
  certPem: string;
  keyPem: string;
}

/** An app's certificate credential: what msal-node needs and what the tenant registers. */
export interface AppCertificate {
  certPem: string;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as msal-node wants it. */
  privateKeyPem: string;
  /** Hex SHA-256 thumbprint of the DER certificate (msal-node `thumbprintSha256`). */
  thumbprintSha256: string;
  /** Hex SHA-1 thumbprint (older msal `thumbprint`). */
  thumbprintSha1: string;
  /** base64url forms, as they appear in a JWT header (`x5t`, `x5t#S256`). */
  x5t: string;
  x5tS256: string;
}

function rsaPair(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function serial(): string {
  // Positive, non-zero serial (high bit cleared).
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
}

/** A CA for one sandbox; clients trust it for that sandbox only. */
export function createSandboxCa(commonName = 'SyncDrift Sandbox CA'): SandboxCa {
  const keys = rsaPair();
  const pub = forge.pki.publicKeyFromPem(keys.publicPem);
  const priv = forge.pki.privateKeyFromPem(keys.privatePem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial();
  validity(cert, 825);
  const attrs = [
    { name: 'commonName', value: `${commonName} ${randomBytes(4).toString('hex')}` },
    { name: 'organizationName', value: 'SyncDrift Workbench sandbox' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0 },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(priv, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

/** A TLS server certificate for the loopback names, signed by the sandbox CA. */
export function issueServerCert(
  ca: SandboxCa,
  names: { dns: string[]; ips: string[] } = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] },
): IssuedCert {
  const keys = rsaPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serial();
  validity(cert, 397);
  cert.setSubject([{ name: 'commonName', value: names.dns[0] ?? names.ips[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...names.dns.map((value) => ({ type: 2, value })), ...names.ips.map((ip) => ({ type: 7, ip }))],
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

/** DER bytes of a PEM certificate. */
export function certDer(certPem: string): Buffer {
  const b64 = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}

/** Thumbprints of a certificate, hex and base64url. */
export function thumbprints(certPem: string): Pick<AppCertificate, 'thumbprintSha1' | 'thumbprintSha256' | 'x5t' | 'x5tS256'> {
  const der = certDer(certPem);
  const s1 = createHash('sha1').update(der).digest();
  const s256 = createHash('sha256').update(der).digest();
  return {
    thumbprintSha1: s1.toString('hex'),
    thumbprintSha256: s256.toString('hex'),
    x5t: s1.toString('base64url'),
    x5tS256: s256.toString('base64url'),
  };
}

/** A self-signed certificate an app registration can carry as its credential. */
export function createAppCertificate(subject = 'CN=SyncDrift sandbox app'): AppCertificate {
  const keys = rsaPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serial();
  validity(cert, 365);
  const attrs = [{ name: 'commonName', value: subject.replace(/^CN=/, '') }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  return { certPem, privateKeyPem: keys.privatePem, ...thumbprints(certPem) };
}
