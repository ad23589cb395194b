import '../support/test-env';
import { createSandboxApp, Sandbox } from '../../apps/partner-sandbox/src/create-sandbox-app';

export interface RunningSandbox {
  sandbox: Sandbox;
  url: string;
  state(): Promise<any>;
  /** JSON request to the sandbox; resolves with status, headers and parsed body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: any }>;
  fault(fault: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/**
 * Points every partner client at the sandbox: Amazon LWA, SP-API and its notifications queue, Nykaa,
 * Razorpay, and the Cloudinary SDK's upload_prefix (its credentials stay). Call before the api or worker loads: the
 * SDKs read their configuration once.
 */
export function pointPartnersAt(url: string): void {
  process.env.AMAZON_LWA_URL = `${url}/auth/o2/token`;
  process.env.AMAZON_SPAPI_URL = url;
  process.env.AMAZON_NOTIFICATIONS_URL = `${url}/_sqs/amazon-notifications`;
  process.env.NYKAA_API_URL = `${url}/nykaa`;
  process.env.RAZORPAY_API_URL = `${url}/v1/`;
  const cu = new URL(process.env.CLOUDINARY_URL!);
  cu.searchParams.set('upload_prefix', url);
  process.env.CLOUDINARY_URL = cu.toString();
}

/** Starts the whole sandbox in-process on a free port. */
export async function startSandbox(): Promise<RunningSandbox> {
  const sandbox = await createSandboxApp();
  const url = await sandbox.listen(0);
  const call: RunningSandbox['call'] = async (method, path, body, headers = {}) => {
    const res = await fetch(url + path, {
      method,
      headers: { ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return {
    sandbox,
    url,
    call,
    state: async () => (await call('GET', '/_sandbox/state')).body,
    fault: async (f) => {
      const r = await call('POST', '/_sandbox/faults', f);
      if (r.status !== 201) throw new Error(`fault not accepted: ${JSON.stringify(r.body)}`);
    },
    close: () => sandbox.close(),
  };
}
