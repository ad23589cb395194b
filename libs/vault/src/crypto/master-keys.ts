/** A parsed `HUB_MASTER_KEYS` entry. */
export interface MasterKey {
  version: number;
  key: Buffer;
}

/**
 * The versioned key-encryption keys. The highest version wraps new data keys; older ones stay
 * only to unwrap what they wrapped until `vault:rewrap` has moved everything forward.
 */
export class MasterKeyRing {
  private readonly keys = new Map<number, Buffer>();
  readonly newest: MasterKey;

  constructor(spec: string) {
    for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
      const m = /^v(\d+):([A-Za-z0-9+/=_-]+)$/.exec(part);
      if (!m) throw new Error('HUB_MASTER_KEYS: each entry must be v<N>:<base64 of 32 bytes>');
      const key = Buffer.from(m[2], 'base64');
      if (key.length !== 32) throw new Error(`HUB_MASTER_KEYS: v${m[1]} must decode to 32 bytes`);
      const version = Number(m[1]);
      if (this.keys.has(version)) throw new Error(`HUB_MASTER_KEYS: v${version} is listed twice`);
      this.keys.set(version, key);
    }
    if (!this.keys.size) throw new Error('HUB_MASTER_KEYS: at least one key is required');
    const top = Math.max(...this.keys.keys());
    this.newest = { version: top, key: this.keys.get(top)! };
  }

  get(version: number): Buffer | undefined {
    return this.keys.get(version);
  }

  versions(): number[] {
    return [...this.keys.keys()].sort((a, b) => a - b);
  }
}
