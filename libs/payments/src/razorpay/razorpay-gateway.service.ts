import { Injectable, Logger } from '@nestjs/common';
import { CredentialRejectedError, PartnerCredential, PartnerCredentials, PartnerUnavailableError, RateLimitedError } from '@hub/core';
import Razorpay from 'razorpay';
import { PaymentsConfig } from '../payments.config';
import { RazorpayCredentialUnavailableError, RazorpayRequestError } from './razorpay.errors';

export interface RazorpayOrder {
  id: string;
  entity: 'order';
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  status: 'created' | 'attempted' | 'paid';
  notes: Record<string, string> | unknown[];
  created_at: number;
}

/** A payment as Razorpay's API returns it (the fields the hub reads; the rest is kept as sent). */
export interface RazorpayPayment {
  id: string;
  entity: 'payment';
  /** Paise. */
  amount: number;
  currency: string;
  status: 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';
  order_id: string | null;
  captured: boolean;
  method: string;
  created_at: number;
  [field: string]: unknown;
}

export interface CreateRazorpayOrder {
  /** Smallest currency unit (paise for INR), as Razorpay expects. */
  amount: number;
  currency: string;
  /** Our order id: shows up on Razorpay's dashboard and in every webhook for this order. */
  receipt: string;
  notes?: Record<string, string>;
}

/** How much longer than the SDK's HTTP timeout a whole call (credential read included) may take. */
export const CALL_BOUND_SLACK_MS = 1000;

/**
 * The SDK appends `/v1/...` to its host itself, so a base URL configured as `.../v1/` (the form
 * Razorpay documents) is reduced to the part before it.
 */
export function razorpayHostUrl(apiUrl: string): string {
  return apiUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/**
 * Razorpay through its official SDK. The SDK hard-codes https://api.razorpay.com in an axios
 * instance it keeps at `instance.api.rq`; we set that instance's `baseURL` (and a timeout, which
 * it lacks) so the configured host (the sandbox in development) is the only change. The SDK
 * rejects with plain objects `{statusCode, error}` for HTTP errors and with a TypeError when there
 * was no response at all (it reads `err.response.status`); both become typed errors here.
 */
@Injectable()
export class RazorpayGateway {
  private readonly logger = new Logger(RazorpayGateway.name);

  constructor(
    private readonly cfg: PaymentsConfig,
    private readonly credentials: PartnerCredentials,
  ) {}

  async createOrder(input: CreateRazorpayOrder): Promise<RazorpayOrder> {
    return this.call((rzp) => rzp.orders.create({ ...input, notes: input.notes ?? {} }) as Promise<unknown> as Promise<RazorpayOrder>);
  }

  async fetchOrder(orderId: string): Promise<RazorpayOrder> {
    return this.call((rzp) => rzp.orders.fetch(orderId) as Promise<unknown> as Promise<RazorpayOrder>);
  }

  /** Every payment attempted on a Razorpay order (`GET /v1/orders/:id/payments`), oldest first as Razorpay lists them. */
  async fetchOrderPayments(orderId: string): Promise<RazorpayPayment[]> {
    const page = await this.call((rzp) => rzp.orders.fetchPayments(orderId) as Promise<unknown> as Promise<{ items?: RazorpayPayment[] }>);
    // Not "no payments": an answer we cannot read must not let an order expire as unpaid.
    if (!Array.isArray(page?.items)) throw new PartnerUnavailableError('storefront', 'Razorpay answered a payments list without items');
    return page.items;
  }

  async fetchPayment(paymentId: string): Promise<Record<string, unknown>> {
    return this.call((rzp) => rzp.payments.fetch(paymentId) as Promise<unknown> as Promise<Record<string, unknown>>);
  }

  private client(cred: PartnerCredential<'razorpay'>): Razorpay {
    // Credentials are read per call (never cached here) so a vault rotation takes effect at once.
    const rzp = new Razorpay({ key_id: cred.fields.keyId, key_secret: cred.fields.keySecret });
    const rq = (rzp as unknown as { api: { rq: { defaults: { baseURL?: string; timeout?: number } } } }).api.rq;
    rq.defaults.baseURL = razorpayHostUrl(this.cfg.RAZORPAY_API_URL);
    rq.defaults.timeout = this.cfg.RAZORPAY_TIMEOUT_MS;
    return rzp;
  }

  /**
   * One Razorpay call, credential read included, bounded: the SDK's own timeout covers only the
   * HTTP exchange, so a hung vault read (or an SDK that ignores its timeout) would otherwise hang
   * the caller. Past the bound it rejects with PartnerUnavailableError, like a host that is down.
   */
  private async call<T>(fn: (rzp: Razorpay) => Promise<T>): Promise<T> {
    const boundMs = this.cfg.RAZORPAY_TIMEOUT_MS + CALL_BOUND_SLACK_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new PartnerUnavailableError('storefront', `Razorpay did not answer within ${boundMs} ms`);
        this.logger.warn({ err: err.message }, 'razorpay call timed out');
        reject(err);
      }, boundMs);
    });
    try {
      return await Promise.race([this.attempt(fn), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async attempt<T>(fn: (rzp: Razorpay) => Promise<T>): Promise<T> {
    let cred: PartnerCredential<'razorpay'>;
    try {
      cred = await this.credentials.current('razorpay');
    } catch (err) {
      // Missing from the vault or undecryptable: the vault has already alerted; callers answer 503.
      const typed = new RazorpayCredentialUnavailableError(err);
      this.logger.error({ err: typed.message }, 'razorpay credential unavailable');
      throw typed;
    }
    try {
      const result = await fn(this.client(cred));
      void this.credentials.reportAccepted('razorpay', cred.version).catch(() => undefined);
      return result;
    } catch (err) {
      const typed = toTypedError(err, cred.version);
      if (typed instanceof CredentialRejectedError) {
        void this.credentials.reportRejected('razorpay', cred.version, typed.reason).catch(() => undefined);
      }
      this.logger.warn({ err: typed.message }, 'razorpay call failed');
      throw typed;
    }
  }
}

/** Maps whatever the SDK rejected with onto the hub's typed partner errors. */
export function toTypedError(err: unknown, credentialVersion = 0): Error {
  if (err && typeof err === 'object' && 'statusCode' in err && typeof (err as { statusCode: unknown }).statusCode === 'number') {
    const { statusCode, error } = err as { statusCode: number; error?: { code?: string; description?: string; field?: string | null } };
    const code = error?.code ?? 'UNKNOWN';
    const description = error?.description ?? 'no description';
    if (statusCode === 401 || statusCode === 403) return new CredentialRejectedError('storefront', 'razorpay', credentialVersion, `${code}: ${description}`);
    if (statusCode === 429) return new RateLimitedError('storefront', 1000);
    if (statusCode >= 500) return new PartnerUnavailableError('storefront', `Razorpay answered ${statusCode} ${code}`);
    return new RazorpayRequestError(statusCode, code, description, error?.field ?? null);
  }
  // No response: the SDK's normalizeError dereferences err.response and throws a TypeError
  // (connection refused, DNS failure, our timeout).
  if (err instanceof TypeError || (err instanceof Error && /ECONNREFUSED|ETIMEDOUT|timeout|socket hang up/i.test(err.message))) {
    return new PartnerUnavailableError('storefront', 'Razorpay did not answer');
  }
  return err instanceof Error ? err : new Error(String(err));
}
