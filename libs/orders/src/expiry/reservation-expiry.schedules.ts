import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { EXPIRE_RESERVATIONS_JOB, ORDERS_QUEUE } from '../constants';
import { OrdersConfig } from '../orders.config';

/** Every worker upserts the same scheduler id, so there is one schedule however many workers run. */
@Injectable()
export class ReservationExpirySchedules implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(ORDERS_QUEUE) private readonly queue: Queue,
    private readonly cfg: OrdersConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler(
      EXPIRE_RESERVATIONS_JOB,
      { every: this.cfg.ORDER_EXPIRY_SWEEP_SECONDS * 1000 },
      { name: EXPIRE_RESERVATIONS_JOB, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }
}
