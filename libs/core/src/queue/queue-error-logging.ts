import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';
import { QueueBase } from 'bullmq';
import { logConnectionErrors } from '../redis/connection-errors';

/**
 * Gives every BullMQ queue and worker of the app an 'error' listener (quiet where a processor logs
 * its worker's errors itself: see logConnectionErrors). A queue or worker without one prints each
 * failed reconnect to stderr while Redis is down, unstructured and several lines a second per queue.
 */
@Injectable()
export class QueueErrorLogging implements OnApplicationBootstrap {
  private readonly logger = new Logger('BullMQ');

  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.isDependencyTreeStatic() ? wrapper.instance : undefined;
      // A processor's worker exists once @nestjs/bullmq has explored it (onModuleInit, before this).
      const target = instance instanceof QueueBase ? instance : instance instanceof WorkerHost ? workerOf(instance) : undefined;
      if (target) logConnectionErrors(target, this.logger, `queue ${target.name}`);
    }
  }
}

function workerOf(host: WorkerHost): QueueBase | undefined {
  try {
    return host.worker;
  } catch {
    return undefined; // not started in this app (its getter throws)
  }
}
