import { Channel, ChannelError, PartnerUnavailableError, RateLimitedError } from '@hub/core';
import axios, { AxiosError, AxiosInstance, AxiosResponse } from 'axios';

/**
 * An axios instance that never throws on HTTP status (adapters map statuses to typed errors
 * themselves) and turns transport failures (timeouts, refused connections) into
 * PartnerUnavailableError.
 */
export function createPartnerHttp(baseURL: string, timeoutMs: number): AxiosInstance {
  return axios.create({
    baseURL,
    timeout: timeoutMs,
    validateStatus: () => true,
    // Partners answer JSON; a redirect would be a misconfiguration, not something to follow.
    maxRedirects: 0,
    headers: { 'user-agent': 'novaskin-hub/1 (+https://hub.novaskin.dev)' },
  });
}

export async function send<T = any>(channel: Channel, call: () => Promise<AxiosResponse<T>>): Promise<AxiosResponse<T>> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ChannelError) throw err;
    const e = err as AxiosError;
    const what = e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT' ? 'request timed out' : e.code ? `connection failed (${e.code})` : e.message;
    throw new PartnerUnavailableError(channel, what);
  }
}

/**
 * Milliseconds to wait after a 429: Retry-After (seconds or HTTP date) wins; otherwise Amazon's
 * x-amzn-RateLimit-Limit (requests per second) gives the time one token takes to come back.
 */
export function retryAfterMs(headers: Record<string, unknown>, fallbackMs = 1000, now = Date.now()): number {
  const ra = headers['retry-after'];
  if (typeof ra === 'string' && ra.trim()) {
    const secs = Number(ra.trim());
    if (Number.isFinite(secs) && secs >= 0) return Math.ceil(secs * 1000);
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const limit = Number(headers['x-amzn-ratelimit-limit']);
  if (Number.isFinite(limit) && limit > 0) return Math.ceil(1000 / limit);
  return fallbackMs;
}

export function rateLimited(channel: Channel, res: AxiosResponse): RateLimitedError {
  return new RateLimitedError(channel, retryAfterMs(res.headers as Record<string, unknown>));
}

/** A short, secret-free description of an error body for lastError / logs. */
export function describeBody(body: unknown): string {
  if (body == null || body === '') return 'no body';
  if (typeof body === 'string') return body.slice(0, 300);
  try {
    return JSON.stringify(body).slice(0, 300);
  } catch {
    return 'unreadable body';
  }
}
