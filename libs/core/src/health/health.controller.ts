import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/scope.decorator';
import { ApiProblem } from '../openapi/api-problem.decorator';
import { HubHealthIndicators } from './health-indicators';

/** Probes are public: orchestrators call them without credentials, and they reveal no data. */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HubHealthIndicators,
  ) {}

  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP' })
  live() {
    return { status: 'ok' };
  }

  /**
   * What this api instance needs to serve: not the worker. Jobs queue in Redis while no worker
   * runs, so a worker outage or deploy must not take every api instance out of its load balancer
   * (orders and Razorpay webhooks would fail for nothing).
   */
  @Public()
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness of this api instance: Postgres, Redis and the queues (a worker outage does not make it unready; see /health/worker)' })
  @ApiProblem(503, 'service-unavailable', 'a check is down; `checks` reports each one')
  ready() {
    return this.health.check([
      () => this.db.pingCheck('database').withTimeout(1500),
      () => this.indicators.redisPing(),
      () => this.indicators.queues(),
    ]);
  }

  @Public()
  @Get('worker')
  @HealthCheck()
  @ApiOperation({ summary: 'Whether jobs are flowing: a worker processed a heartbeat job recently (503 otherwise), for monitoring rather than load balancing' })
  @ApiProblem(503, 'service-unavailable', 'no worker processed a heartbeat job recently; `checks` reports it')
  worker() {
    return this.health.check([() => this.indicators.workerHeartbeat()]);
  }
}
