import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The HMAC pepper ring from `API_KEY_PEPPER` (`v1:<secret>[,v2:<secret>]`). The pepper lives only
 * in the environment, so a stolen database alone cannot be used to test guessed secrets. Each key
 * row keeps the version that hashed it; the highest version hashes new keys.
 */
export class PepperRing {
  private readonly peppers = new Map<number, Buffer>();
  readonly current: number;

  constructor(spec: string) {
    for (const part of spec.split(',')) {
      const m = /^v(\d+):(.{16,})$/s.exec(part.trim());
      if (!m) throw new Error('API_KEY_PEPPER must be v<N>:<secret of at least 16 characters>[,v<N>:<secret>...]');
      this.peppers.set(Number(m[1]), Buffer.from(m[2], 'utf8'));
    }
    this.current = Math.max(...this.peppers.keys());
  }

  has(version: number): boolean {
    return this.peppers.has(version);
  }

  hash(secret: string, version = this.current): Buffer {
    const pepper = this.peppers.get(version);
    if (!pepper) throw new Error(`API key pepper v${version} is not configured`);
    return createHmac('sha256', pepper).update(secret).digest();
  }

  /** Constant-time comparison of a presented secret with a stored hash. */
  matches(secret: string, version: number, stored: Buffer): boolean {
    const pepper = this.peppers.get(version);
    if (!pepper || stored.length !== 32) return false;
    return timingSafeEqual(createHmac('sha256', pepper).update(secret).digest(), stored);
  }
}
