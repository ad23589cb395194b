import { CredentialRejectedError, PartnerCredential, PartnerCredentials, PartnerUnavailableError, RateLimitedError } from '@hub/core';
import type { AxiosInstance } from 'axios';
import { describeBody, retryAfterMs, send } from '../http/partner-http';

/** Refresh this long before Amazon's expiry so a token never dies mid-request. */
const EXPIRY_MARGIN_MS = 60_000;

interface CachedToken {
  credentialVersion: number;
  accessToken: string;
  expiresAt: number;
}

/**
 * Login with Amazon: exchanges the refresh token for a 1 h access token and caches it until
 * shortly before expiry. The cache is keyed by credential version, so a rotated credential
 * gets a fresh token at once; `invalidate()` drops it when SP-API says the token is bad.
 */
export class AmazonLwaClient {
  private cached: CachedToken | null = null;
  /**
   * One exchange per credential version at a time: concurrent callers share it, and a caller
   * holding another version never inherits this one's refusal.
   */
  private readonly inflight = new Map<number, Promise<CachedToken>>();

  constructor(
    private readonly http: AxiosInstance,
    private readonly lwaUrl: string,
    private readonly credentials: PartnerCredentials,
    private readonly now: () => number = Date.now,
  ) {}

  async accessToken(cred: PartnerCredential<'amazon'>): Promise<string> {
    const c = this.cached;
    if (c && c.credentialVersion === cred.version && c.expiresAt - EXPIRY_MARGIN_MS > this.now()) return c.accessToken;
    // Concurrent callers share one exchange instead of each hitting LWA.
    let pending = this.inflight.get(cred.version);
    if (!pending) {
      pending = this.exchange(cred).finally(() => this.inflight.delete(cred.version));
      this.inflight.set(cred.version, pending);
    }
    return (await pending).accessToken;
  }

  /**
   * Drops `token` when SP-API refused it. Only that token: calls that were in flight with it get
   * their 403s one after another, and a late one must not throw away the fresh token the first
   * one already fetched (each would cost another exchange).
   */
  invalidate(token: string): void {
    if (this.cached?.accessToken === token) this.cached = null;
  }

  private async exchange(cred: PartnerCredential<'amazon'>): Promise<CachedToken> {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: cred.fields.refreshToken,
      client_id: cred.fields.clientId,
      client_secret: cred.fields.clientSecret,
    });
    const res = await send('amazon', () =>
      this.http.post(this.lwaUrl, form.toString(), {
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', accept: 'application/json' },
      }),
    );
    if (res.status === 200 && typeof res.data?.access_token === 'string') {
      const token = {
        credentialVersion: cred.version,
        accessToken: res.data.access_token as string,
        expiresAt: this.now() + Number(res.data.expires_in ?? 3600) * 1000,
      };
      // An older version's exchange finishing late must not replace a newer version's token.
      if (!this.cached || this.cached.credentialVersion <= cred.version) this.cached = token;
      await this.credentials.reportAccepted('amazon', cred.version);
      return token;
    }
    if (this.cached?.credentialVersion === cred.version) this.cached = null;
    if (res.status === 429) throw new RateLimitedError('amazon', retryAfterMs(res.headers as Record<string, unknown>));
    if (res.status >= 500) throw new PartnerUnavailableError('amazon', `LWA answered ${res.status}`);
    // invalid_client / invalid_grant / unauthorized_client: the credential itself is refused.
    const code = typeof res.data?.error === 'string' ? res.data.error : `HTTP ${res.status}`;
    const reason = `LWA token exchange failed: ${code}${res.data?.error_description ? ` (${res.data.error_description})` : ''}`;
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      await this.credentials.reportRejected('amazon', cred.version, reason);
      throw new CredentialRejectedError('amazon', 'amazon', cred.version, reason);
    }
    throw new PartnerUnavailableError('amazon', `LWA answered ${res.status}: ${describeBody(res.data)}`);
  }
}
