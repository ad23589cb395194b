import { Controller, Get, Module, Param } from '@nestjs/common';
import { ProblemException, RequireScope } from '@hub/core';
import { UsageRecorderService } from '@hub/api-keys';
import type { INestApplicationContext } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Routes behind `catalog:read` with known answers and latencies, so the analytics tests can drive
 * real requests whose figures they know: 200, a chosen 4xx/5xx, or a sleep of n ms.
 */
@Controller('__analytics_probe')
class AnalyticsProbeController {
  @Get('ok')
  @RequireScope('catalog:read')
  ok() {
    return { ok: true };
  }

  @Get('status/:code')
  @RequireScope('catalog:read')
  status(@Param('code') code: string) {
    throw new ProblemException(Number(code), Number(code) >= 500 ? 'service-unavailable' : 'not-found', 'probe answer');
  }

  @Get('sleep/:ms')
  @RequireScope('catalog:read')
  async sleep(@Param('ms') ms: string) {
    await sleep(Number(ms));
    return { slept: Number(ms) };
  }
}
@Module({ controllers: [AnalyticsProbeController] })
export class AnalyticsProbeModule {}

/** One GET with a key and optional client headers; resolves with the status and the time the client waited. */
export async function probe(baseUrl: string, path: string, key: string, headers: Record<string, string> = {}): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0 };
}

/**
 * Writes the api's batched usage now (the tests run with API_KEY_LAST_USED_FLUSH_MS=50). The
 * onResponse hook counts a request just after its response has gone out, so a pause first lets
 * the last count land; the second write catches what a write already under way had not taken,
 * and is late enough to write the keys' lastUsedAt too.
 */
export async function flushUsage(app: INestApplicationContext): Promise<void> {
  const usage = app.get(UsageRecorderService, { strict: false });
  await sleep(60);
  await usage.flush();
  await sleep(80);
  await usage.flush();
}

export const keyIdOf = (key: string) => key.split('_')[2];
