import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { EXPIRE_RESERVATIONS_JOB, ORDERS_QUEUE } from '../constants';
import { ReservationExpiry, SweepResult } from './reservation-expiry.service';

@Processor(ORDERS_QUEUE)
export class OrdersProcessor extends WorkerHost {
  private readonly logger = new Logger(OrdersProcessor.name);

  constructor(private readonly expiry: ReservationExpiry) {
    super();
  }

  async process(job: Job): Promise<SweepResult | null> {
    if (job.name !== EXPIRE_RESERVATIONS_JOB) {
      this.logger.warn({ job: job.name }, 'unknown orders job');
      return null;
    }
    const result = await this.expiry.sweep();
    if (result.expired || result.paid || result.deferred) this.logger.log(result, 'swept due storefront reservations');
    return result;
  }
}
