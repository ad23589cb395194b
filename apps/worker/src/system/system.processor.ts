import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import { CoreConfig, HEARTBEAT_JOB, heartbeatKey, IdempotencyService, PURGE_IDEMPOTENCY_JOB, REDIS, SYSTEM_QUEUE } from '@hub/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';

/** Housekeeping jobs. The heartbeat goes through the queue on purpose: it proves jobs flow. */
@Processor(SYSTEM_QUEUE)
export class SystemProcessor extends WorkerHost {
  private readonly logger = new Logger(SystemProcessor.name);
  private readonly instance: string;

  constructor(
    private readonly cfg: CoreConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly idempotency: IdempotencyService,
  ) {
    super();
    this.instance = cfg.INSTANCE_ID ?? `${hostname()}:${process.pid}`;
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case HEARTBEAT_JOB:
        await this.redis.set(heartbeatKey(this.cfg.REDIS_PREFIX), `${Date.now()}|${this.instance}`, 'EX', 120);
        return { at: Date.now(), instance: this.instance };
      case PURGE_IDEMPOTENCY_JOB: {
        const deleted = await this.idempotency.purgeOlderThan(this.cfg.IDEMPOTENCY_RETENTION_HOURS);
        if (deleted) this.logger.log({ deleted }, 'purged expired Idempotency-Key records');
        return { deleted };
      }
      default:
        this.logger.warn({ job: job.name }, 'unknown system job');
        return null;
    }
  }
}
