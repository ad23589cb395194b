import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { MasterKeyRing } from './master-keys';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What is stored for one credential version: nothing here is usable without a master key. */
export interface SealedFields {
  masterKeyVersion: number;
  /** iv | tag | AES-256-GCM(master key, data key) */
  wrappedKey: Buffer;
  /** iv | tag | AES-256-GCM(data key, JSON of the fields) */
  ciphertext: Buffer;
}

/** Decryption refused: wrong key, altered bytes, or a row moved to another partner/version. */
export class VaultDecryptionError extends Error {
  constructor(
    readonly partner: string,
    readonly version: number,
    reason: string,
  ) {
    super(`Vault cannot decrypt ${partner} credential v${version}: ${reason}`);
    this.name = 'VaultDecryptionError';
  }
}

/** A stored version needs a master key that HUB_MASTER_KEYS no longer lists. */
export class MissingMasterKeyError extends Error {
  constructor(readonly missing: number[], readonly affected: number) {
    super(
      `HUB_MASTER_KEYS lacks master key ${missing.map((v) => 'v' + v).join(', ')}, which still encrypts ${affected} stored ` +
        `credential version(s). Add the key back to HUB_MASTER_KEYS (and run \`npm run hub -- vault:rewrap\` before removing it again).`,
    );
    this.name = 'MissingMasterKeyError';
  }
}

/**
 * Binds ciphertext to where it belongs: a row copied onto another partner or version no
 * longer authenticates, so a swapped secret is refused instead of silently used.
 */
export function associatedData(partner: string, version: number): Buffer {
  return Buffer.from(`novaskin-vault:v1:${partner}:${version}`, 'utf8');
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  decipher.setAAD(aad);
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** A vault-internal key (the fingerprint key) wrapped by a master key, as stored. */
export interface WrappedKey {
  masterKeyVersion: number;
  wrappedKey: Buffer;
}

const keyAad = (purpose: string) => Buffer.from(`novaskin-vault:v1:key:${purpose}`, 'utf8');

/**
 * Envelope encryption: a fresh data key per version, wrapped by the newest master key.
 *
 * Fingerprints are keyed by a separate random key stored wrapped in Postgres (`vault_keys`), not
 * by a master key: adding, rewrapping under or removing a master key must not change them (they
 * dedupe Amazon's notices and tell versions apart in the API and the audit trail).
 */
export class Envelope {
  private fingerprintKey: Buffer | null = null;

  constructor(private readonly ring: MasterKeyRing) {}

  /** Installs the (unwrapped) fingerprint key; until then fingerprint() refuses. */
  useFingerprintKey(key: Buffer): void {
    if (key.length !== 32) throw new Error('the vault fingerprint key must be 32 bytes');
    this.fingerprintKey = Buffer.from(key);
  }

  /**
   * The fingerprint key an install made before `vault_keys` existed used (derived from its newest
   * master key): adopting it once keeps the fingerprints already stored valid.
   */
  legacyFingerprintKey(): Buffer {
    return Buffer.from(hkdfSync('sha256', this.ring.newest.key, Buffer.alloc(0), 'novaskin-vault fingerprint', 32));
  }

  wrapKey(purpose: string, key: Buffer): WrappedKey {
    return { masterKeyVersion: this.ring.newest.version, wrappedKey: seal(this.ring.newest.key, key, keyAad(purpose)) };
  }

  unwrapKey(purpose: string, w: WrappedKey): Buffer {
    const master = this.ring.get(w.masterKeyVersion);
    if (!master) throw new Error(`Vault cannot unwrap its ${purpose} key: master key v${w.masterKeyVersion} is not in HUB_MASTER_KEYS`);
    try {
      return open(master, w.wrappedKey, keyAad(purpose));
    } catch {
      throw new Error(`Vault cannot unwrap its ${purpose} key: it failed authentication (altered bytes or wrong master key)`);
    }
  }

  get newestVersion(): number {
    return this.ring.newest.version;
  }

  hasMasterKey(version: number): boolean {
    return !!this.ring.get(version);
  }

  encrypt(partner: string, version: number, fields: Record<string, string>): SealedFields {
    const aad = associatedData(partner, version);
    const dataKey = randomBytes(32);
    try {
      const ciphertext = seal(dataKey, Buffer.from(JSON.stringify(fields), 'utf8'), aad);
      const wrappedKey = seal(this.ring.newest.key, dataKey, aad);
      return { masterKeyVersion: this.ring.newest.version, wrappedKey, ciphertext };
    } finally {
      dataKey.fill(0);
    }
  }

  decrypt(partner: string, version: number, sealed: SealedFields): Record<string, string> {
    const master = this.ring.get(sealed.masterKeyVersion);
    if (!master) throw new VaultDecryptionError(partner, version, `master key v${sealed.masterKeyVersion} is not in HUB_MASTER_KEYS`);
    const aad = associatedData(partner, version);
    let dataKey: Buffer;
    try {
      dataKey = open(master, sealed.wrappedKey, aad);
    } catch {
      throw new VaultDecryptionError(partner, version, 'the wrapped data key failed authentication (altered bytes, wrong master key, or a row moved to another partner/version)');
    }
    try {
      const json = open(dataKey, sealed.ciphertext, aad).toString('utf8');
      return JSON.parse(json) as Record<string, string>;
    } catch {
      throw new VaultDecryptionError(partner, version, 'the ciphertext failed authentication (altered bytes or a row moved to another partner/version)');
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * Re-encrypts under the newest master key with a fresh data key (not just a re-wrap), so a
   * retired master key that leaked together with old rows still opens nothing current.
   */
  reencrypt(partner: string, version: number, sealed: SealedFields): SealedFields {
    return this.encrypt(partner, version, this.decrypt(partner, version, sealed));
  }

  /** First 12 hex of a keyed SHA-256 over the secret fields, in a stable field order. */
  fingerprint(fields: Record<string, string>): string {
    if (!this.fingerprintKey) throw new Error('the vault fingerprint key is not loaded yet');
    const canonical = JSON.stringify(Object.keys(fields).sort().map((k) => [k, fields[k]]));
    return createHmac('sha256', this.fingerprintKey).update(canonical).digest('hex').slice(0, 12);
  }
}
