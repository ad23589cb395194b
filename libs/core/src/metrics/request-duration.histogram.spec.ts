import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, type Metric, Registry } from 'prom-client';
import { RequestDurationHistogram } from './request-duration.histogram';

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The same observations into prom-client's Histogram and into ours, each alone in a registry. */
function both(observations: [string, string, number, number][]) {
  const theirs = new Registry();
  const reference = new Histogram({ name: 'hub_http_request_duration_seconds', help: 'HTTP request duration by route and status', labelNames: ['method', 'route', 'status'], buckets: BUCKETS, registers: [theirs] });
  const ours = new Registry();
  const histogram = new RequestDurationHistogram('hub_http_request_duration_seconds', 'HTTP request duration by route and status', BUCKETS);
  ours.registerMetric(histogram as unknown as Metric);
  for (const [method, route, status, seconds] of observations) {
    reference.observe({ method, route, status: String(status) }, seconds);
    histogram.observe(method, route, status, seconds);
  }
  return { theirs, ours, histogram };
}

describe('RequestDurationHistogram', () => {
  // Values on bucket bounds (le is inclusive), between them, above the last, and zero.
  const observations: [string, string, number, number][] = [
    ['GET', '/v1/products', 200, 0.001],
    ['GET', '/v1/products', 200, 0.0042],
    ['GET', '/v1/products', 200, 0.3],
    ['GET', '/v1/products', 429, 0],
    ['POST', '/v1/products', 201, 0.0051],
    ['GET', '/v1/products/:sku', 404, 7.5],
    ['GET', 'unmatched', 404, 0.00002],
    ['GET', '/v1/products', 200, 5],
  ];

  it('exposes exactly what a prom-client Histogram with the same labels and buckets exposes', async () => {
    const { theirs, ours } = both(observations);
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
  });

  it('prints HELP and TYPE alone before any request, and again after a reset', async () => {
    const { theirs, ours, histogram } = both([]);
    assert.equal(await ours.metrics(), await theirs.metrics());
    histogram.observe('GET', '/x', 200, 0.01);
    histogram.reset();
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  it('counts into the cumulative buckets a value belongs to', async () => {
    const { ours } = both(observations);
    const text = await ours.metrics();
    const line = (le: string) => new RegExp(`^hub_http_request_duration_seconds_bucket\\{le="${le.replace('+', '\\+')}",method="GET",route="/v1/products",status="200"\\} (\\d+)$`, 'm').exec(text)?.[1];
    assert.deepEqual(['0.001', '0.005', '0.25', '0.5', '5', '+Inf'].map(line), ['1', '2', '2', '3', '4', '4']);
    assert.match(text, /^hub_http_request_duration_seconds_count\{method="GET",route="\/v1\/products",status="200"\} 4$/m);
  });
});
