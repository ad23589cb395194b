import { Module } from '@nestjs/common';
import { AmazonNotificationsPoller } from './rotation/amazon-notifications.poller';
import { VaultModule } from './vault.module';
import { VaultProcessor } from './vault.processor';
import { VaultSchedules } from './vault-schedules.service';

/** Worker side: periodic re-checks and retirements, and Amazon's rotation notices. */
@Module({
  imports: [VaultModule],
  providers: [AmazonNotificationsPoller, VaultProcessor, VaultSchedules],
})
export class VaultWorkerModule {}
