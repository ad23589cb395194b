import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { PartnerCredentials, provideConfig } from '@hub/core';
import { AlertsModule } from '@hub/alerts';
import { VAULT_QUEUE } from './constants';
import { PartnerVerifier } from './partners/partner-verifier';
import { VaultController } from './vault.controller';
import { VaultConfig } from './vault.config';
import { VaultPartnerCredentials } from './vault-partner-credentials';
import { VaultRepository } from './vault.repository';
import { VaultRewrapCommand } from './vault-rewrap.command';
import { VaultService } from './vault.service';

/**
 * The vault and core's PartnerCredentials bound to it (replaces EnvPartnerCredentialsModule).
 * Global so every adapter and payments reach PartnerCredentials without importing the vault.
 */
@Global()
@Module({
  imports: [AlertsModule, BullModule.registerQueue({ name: VAULT_QUEUE })],
  controllers: [VaultController],
  providers: [
    provideConfig(VaultConfig),
    VaultRepository,
    PartnerVerifier,
    VaultService,
    VaultRewrapCommand,
    { provide: PartnerCredentials, useClass: VaultPartnerCredentials },
  ],
  exports: [PartnerCredentials, VaultService, VaultConfig, BullModule],
})
export class VaultModule {}
