import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CoreModule } from '@hub/core';
import { VaultModule } from '@hub/vault';
import { ApiKeysCoreModule } from '@hub/api-keys';

/** Everything CLI commands may need; feature libs add their modules here. */
@Module({
  imports: [DiscoveryModule, CoreModule, VaultModule, ApiKeysCoreModule],
})
export class CliModule {}
