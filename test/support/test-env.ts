import { randomBytes } from 'node:crypto';

/**
 * Environment for tests: obviously fake secrets, a Redis prefix of our own so parallel test
 * files never see each other's queues or keys, and quiet logs. Import this first.
 */
export const TEST_RUN_ID = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;

/**
 * `npm test` passes one stem for the whole run (tools/test.js), and deletes the Redis keys under it
 * when the run ends: the Redis a developer's hub uses does not fill with each run's queues.
 */
const REDIS_STEM = process.env.TEST_REDIS_STEM ?? 't';

const defaults: Record<string, string> = {
  NODE_ENV: 'test',
  HUB_SKIP_ENV_FILE: '1',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  LOG_REQUESTS: 'false',
  REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  REDIS_PREFIX: `${REDIS_STEM}${TEST_RUN_ID}`,
  HUB_MASTER_KEYS: 'v1:dGVzdC1tYXN0ZXIta2V5LTAwMDAwMDAwMDAwMDAwMDA=',
  API_KEY_PEPPER: 'v1:test-pepper-not-a-secret-000000',
  HEARTBEAT_EVERY_MS: '500',
  // Several workers run at once in tests (in process and as children): each picks a free port.
  WORKER_METRICS_ENABLED: 'true',
  WORKER_METRICS_PORT: '0',
  // Sandboxes in tests start empty and keep nothing (the state-file test sets its own file).
  SANDBOX_STATE_FILE: 'none',
  AMAZON_LWA_CLIENT_ID: 'amzn1.application-oa2-client.testclient',
  AMAZON_LWA_CLIENT_SECRET: 'test-amazon-client-secret',
  AMAZON_LWA_REFRESH_TOKEN: 'Atzr|test-refresh-token',
  AMAZON_SELLER_ID: 'A1TESTSELLER',
  AMAZON_MARKETPLACE_ID: 'A21TJRUUN4KGV',
  NYKAA_API_KEY: 'test-nykaa-api-key',
  NYKAA_SELLER_ID: 'NYK-TEST',
  RAZORPAY_KEY_ID: 'rzp_test_TestKeyId',
  RAZORPAY_KEY_SECRET: 'test_razorpay_key_secret',
  RAZORPAY_WEBHOOK_SECRET: 'test_razorpay_webhook_secret',
  // Partners at a port nothing listens on, unless a test starts its own sandbox and says so: the
  // defaults (the sandbox's :4010) would reach a hub a developer is running while the tests run,
  // whose sandbox refuses these credentials (credential-failing alerts, paused channels).
  CLOUDINARY_URL: 'cloudinary://222222222222222:test-cloudinary-secret@novaskin-test?upload_prefix=http://127.0.0.1:9',
  AMAZON_LWA_URL: 'http://127.0.0.1:9/auth/o2/token',
  AMAZON_SPAPI_URL: 'http://127.0.0.1:9',
  AMAZON_NOTIFICATIONS_URL: 'http://127.0.0.1:9/_sqs/amazon-notifications',
  NYKAA_API_URL: 'http://127.0.0.1:9/nykaa',
  RAZORPAY_API_URL: 'http://127.0.0.1:9/v1/',
};

export function applyTestEnv(overrides: Record<string, string | undefined> = {}): void {
  for (const [k, v] of Object.entries(defaults)) if (process.env[k] === undefined || k === 'REDIS_PREFIX' || k === 'HUB_SKIP_ENV_FILE') process.env[k] = v;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  applyTestEnv();
  const env = { ...process.env, ...overrides } as Record<string, string>;
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete env[k];
  return env;
}

applyTestEnv();
