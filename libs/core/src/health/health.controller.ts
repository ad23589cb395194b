import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/scope.decorator';
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

  @Public()
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: Postgres, Redis, queues and a live worker' })
  ready() {
    return this.health.check([
      () => this.db.pingCheck('database').withTimeout(1500),
      () => this.indicators.redisPing(),
      () => this.indicators.queues(),
      () => this.indicators.workerHeartbeat(),
    ]);
  }
}
