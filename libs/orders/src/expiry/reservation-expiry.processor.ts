import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { EXPIRE_RESERVATIONS_JOB, ORDERS_QUEUE } from '../constants';
import { OrderLifecycle } from '../order-lifecycle.service';

@Processor(ORDERS_QUEUE)
export class OrdersProcessor extends WorkerHost {
  private readonly logger = new Logger(OrdersProcessor.name);

  constructor(private readonly orders: OrderLifecycle) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    if (job.name !== EXPIRE_RESERVATIONS_JOB) {
      this.logger.warn({ job: job.name }, 'unknown orders job');
      return null;
    }
    const expired = await this.orders.expireDue();
    if (expired) this.logger.log({ expired }, 'released expired storefront reservations');
    return { expired };
  }
}
