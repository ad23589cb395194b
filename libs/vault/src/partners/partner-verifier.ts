import { Injectable } from '@nestjs/common';
import type { Partner, PartnerFields } from '@hub/core';
import { VaultConfig } from '../vault.config';

export type VerifyResult =
  | { ok: true }
  /** rejected: the partner refused the credential; otherwise it could not be reached or answered 5xx. */
  | { ok: false; rejected: boolean; error: string };

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
      return { ok: false, rejected: false, error: `${partner} unreachable: ${why}` };
    }
  }

  /** LWA refresh-token grant: 200 with an access token, or 401 invalid_client for a wrong secret. */
  private async amazon(f: PartnerFields['amazon']): Promise<VerifyResult> {
    const res = await fetch(this.cfg.AMAZON_LWA_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: f.refreshToken, client_id: f.clientId, client_secret: f.clientSecret }).toString(),
      signal: AbortSignal.timeout(this.cfg.VAULT_VERIFY_TIMEOUT_MS),
    });
    const body = await readJson(res);
    if (res.ok && typeof body?.access_token === 'string') return { ok: true };
    const code = typeof body?.error === 'string' ? body.error : `HTTP ${res.status}`;
    const desc = typeof body?.error_description === 'string' ? ` (${body.error_description})` : '';
    return judge(res.status, `LWA token exchange failed: ${code}${desc}`);
  }

  private async nykaa(f: PartnerFields['nykaa']): Promise<VerifyResult> {
    const res = await fetch(joinUrl(this.cfg.NYKAA_API_URL, 'v1/auth/verify'), {
      headers: { 'x-nykaa-api-key': f.apiKey, accept: 'application/json' },
      signal: AbortSignal.timeout(this.cfg.VAULT_VERIFY_TIMEOUT_MS),
    });
    if (res.ok) return { ok: true };
    return judge(res.status, `Nykaa auth check failed: ${describe(await readJson(res), res.status)}`);
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

function judge(status: number, error: string): VerifyResult {
  // 400/401/403 mean the credential itself is refused; 429/5xx say nothing about it.
  const rejected = status === 400 || status === 401 || status === 403 || status === 404;
  return { ok: false, rejected, error: error.slice(0, 500) };
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
