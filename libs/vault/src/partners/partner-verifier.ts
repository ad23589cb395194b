import { Injectable } from '@nestjs/common';
import { retryAfterMs } from '@hub/channels';
import type { Partner, PartnerFields } from '@hub/core';
import { VaultConfig } from '../vault.config';

export type VerifyResult =
  | { ok: true }
  /**
   * rejected: the partner refused the credential. unavailable: it could not answer (unreachable,
   * timed out, 5xx, 429), so nothing is known about the credential. Neither: an answer that proves
   * nothing either way (a wrong partner URL, an answer missing what the check reads).
   */
  | { ok: false; rejected: boolean; unavailable?: boolean; error: string };

/**
 * Proves a credential works with one cheap authenticated call per partner, the same call an
 * operator would try by hand. Errors carry the partner's own code, never the secret.
 */
@Injectable()
export class PartnerVerifier {
  constructor(private readonly cfg: VaultConfig) {}

  async verify<P extends Partner>(partner: P, fields: PartnerFields[P]): Promise<VerifyResult> {
    try {
      switch (partner) {
        case 'amazon':
          return await this.amazon(fields as PartnerFields['amazon']);
        case 'nykaa':
          return await this.nykaa(fields as PartnerFields['nykaa']);
        case 'razorpay':
          return await this.razorpay(fields as PartnerFields['razorpay']);
        case 'cloudinary':
          return await this.cloudinary(fields as PartnerFields['cloudinary']);
        default:
          return { ok: false, rejected: true, error: `unknown partner ${String(partner)}` };
      }
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${this.cfg.VAULT_VERIFY_TIMEOUT_MS} ms` : (e.cause as Error)?.message ?? e.message;
      return { ok: false, rejected: false, unavailable: true, error: `${partner} unreachable: ${why}` };
    }
  }

  /**
   * LWA refresh-token grant (200 with an access token, or 401 invalid_client for a wrong secret),
   * then the seller check: LWA proves the client and refresh token but not the sellerId or
   * marketplaceId, which only the Listings API reads.
   */
  private async amazon(f: PartnerFields['amazon']): Promise<VerifyResult> {
    const res = await fetch(this.cfg.AMAZON_LWA_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: f.refreshToken, client_id: f.clientId, client_secret: f.clientSecret }).toString(),
      signal: AbortSignal.timeout(this.cfg.VAULT_VERIFY_TIMEOUT_MS),
    });
    const body = await readJson(res);
    if (!res.ok || typeof body?.access_token !== 'string') {
      const code = typeof body?.error === 'string' ? body.error : `HTTP ${res.status}`;
      const desc = typeof body?.error_description === 'string' ? ` (${body.error_description})` : '';
      return judge(res.status, `LWA token exchange failed: ${code}${desc}`);
    }
    return this.amazonSeller(f, body.access_token);
  }

  /**
   * Reads a SKU no seller lists, for the credential's seller and marketplace: SP-API answers 404
   * NOT_FOUND when the token may act for that seller there, 403 when the seller did not authorise
   * it (a wrong sellerId) and 400 for a marketplace the seller is not in. A 404 without SP-API's
   * error body is a wrong AMAZON_SPAPI_URL, which says nothing about the credential.
   */
  private async amazonSeller(f: PartnerFields['amazon'], accessToken: string): Promise<VerifyResult> {
    const path = `listings/2021-08-01/items/${encodeURIComponent(f.sellerId)}/${encodeURIComponent(AMAZON_PROBE_SKU)}?marketplaceIds=${encodeURIComponent(f.marketplaceId)}`;
    const deadline = Date.now() + this.cfg.VAULT_VERIFY_TIMEOUT_MS;
    let res: Response;
    for (let attempt = 1; ; attempt++) {
      res = await fetch(joinUrl(this.cfg.AMAZON_SPAPI_URL, path), {
        headers: { 'x-amz-access-token': accessToken, accept: 'application/json' },
        signal: AbortSignal.timeout(Math.max(deadline - Date.now(), 1)),
      });
      // The seller's rate limit is shared with the channel's own traffic, which may have just
      // drained it: a throttled check says nothing about the credential, so wait for a token.
      const wait = res.status === 429 ? throttleWaitMs(res) : 0;
      if (!wait || attempt >= AMAZON_THROTTLE_ATTEMPTS || Date.now() + wait >= deadline) break;
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, wait));
    }
    const body = await readJson(res);
    const codes: string[] = Array.isArray(body?.errors) ? body.errors.map((e: any) => String(e?.code)) : [];
    if (res.ok || (res.status === 404 && codes.includes('NOT_FOUND'))) return { ok: true };
    const detail = spApiErrors(body, res.status);
    if (res.status === 403) return judge(403, `SP-API refused seller ${f.sellerId} (${detail}): LWA accepted the client secret, so the sellerId is wrong or that seller has not authorised this application`);
    if (res.status === 400) return judge(400, `SP-API refused seller ${f.sellerId} in marketplace ${f.marketplaceId} (${detail}): check the marketplaceId`);
    if (res.status === 404) return { ok: false, rejected: false, error: `SP-API seller check got ${detail} from ${this.cfg.AMAZON_SPAPI_URL}, not a Listings API answer: check AMAZON_SPAPI_URL`.slice(0, 500) };
    return judge(res.status, `SP-API seller check failed: ${detail}`);
  }

  /** Nykaa's auth check names the seller its key belongs to (docs/nykaa-api.md); calls for any other seller get 401. */
  private async nykaa(f: PartnerFields['nykaa']): Promise<VerifyResult> {
    const res = await fetch(joinUrl(this.cfg.NYKAA_API_URL, 'v1/auth/verify'), {
      headers: { 'x-nykaa-api-key': f.apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(this.cfg.VAULT_VERIFY_TIMEOUT_MS),
    });
    const body = await readJson(res);
    if (!res.ok) return judge(res.status, `Nykaa auth check failed: ${describe(body, res.status)}`);
    const sellerId = body?.sellerId;
    if (typeof sellerId !== 'string') return { ok: false, rejected: false, error: 'Nykaa auth check answered without the sellerId the key belongs to' };
    if (sellerId !== f.sellerId) return { ok: false, rejected: true, error: `Nykaa API key belongs to seller ${sellerId}, not to sellerId ${f.sellerId}: check the sellerId`.slice(0, 500) };
    return { ok: true };
  }

  /** An authenticated read (Razorpay has no dedicated "whoami"). */
  private async razorpay(f: PartnerFields['razorpay']): Promise<VerifyResult> {
    const res = await fetch(joinUrl(this.cfg.RAZORPAY_API_URL, 'orders?count=1'), {
      headers: { authorization: basic(f.keyId, f.keySecret), accept: 'application/json' },
      signal: AbortSignal.timeout(this.cfg.VAULT_VERIFY_TIMEOUT_MS),
    });
    if (res.ok) return { ok: true };
    return judge(res.status, `Razorpay authenticated read failed: ${describe(await readJson(res), res.status)}`);
  }

  /** Admin API ping, authenticated with api_key:api_secret. */
  private async cloudinary(f: PartnerFields['cloudinary']): Promise<VerifyResult> {
    const res = await fetch(`${this.cfg.cloudinaryApiBase()}/v1_1/${encodeURIComponent(f.cloudName)}/ping`, {
      headers: { authorization: basic(f.apiKey, f.apiSecret), accept: 'application/json' },
      signal: AbortSignal.timeout(this.cfg.VAULT_VERIFY_TIMEOUT_MS),
    });
    if (res.ok) return { ok: true };
    return judge(res.status, `Cloudinary ping failed: ${describe(await readJson(res), res.status)}`);
  }
}

/** No seller lists this SKU, so reading it costs one call and changes nothing. */
const AMAZON_PROBE_SKU = 'NOVASKIN-HUB-CREDENTIAL-CHECK';
const AMAZON_THROTTLE_ATTEMPTS = 5;

/**
 * The channels' own reading of a 429 (Retry-After in seconds or as an HTTP date, else one token of
 * x-amzn-RateLimit-Limit), kept between 50 ms and 2 s: a verify is interactive.
 */
function throttleWaitMs(res: Response): number {
  // fetch's Headers keys are lower-case already, as retryAfterMs expects.
  const ms = retryAfterMs(Object.fromEntries(res.headers));
  return Math.min(Math.max(ms, 50), 2000);
}

function judge(status: number, error: string): VerifyResult {
  // 400/401/403 mean the credential itself is refused; 429/5xx say nothing about it.
  const rejected = status === 400 || status === 401 || status === 403 || status === 404;
  return { ok: false, rejected, unavailable: status === 429 || status >= 500, error: error.slice(0, 500) };
}

function basic(user: string, pass: string): string {
  return 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
}

function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + '/' + path;
}

async function readJson(res: Response): Promise<Record<string, any> | null> {
  try {
    return (await res.json()) as Record<string, any>;
  } catch {
    return null;
  }
}

/** Partner error bodies differ (Razorpay `error.description`, Cloudinary `error.message`...). */
function describe(body: Record<string, any> | null, status: number): string {
  const e = body?.error;
  const text = typeof e === 'string' ? e : e?.description ?? e?.message ?? e?.code ?? body?.message ?? body?.title;
  return `HTTP ${status}${text ? ` ${String(text)}` : ''}`;
}

/** SP-API's `{"errors":[{code, message}]}`, or the status when the body is something else. */
function spApiErrors(body: Record<string, any> | null, status: number): string {
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  const text = errors.map((e: any) => [e?.code, e?.message].filter(Boolean).join(': ')).filter(Boolean).join('; ');
  return `HTTP ${status}${text ? ` ${text}` : ''}`;
}
