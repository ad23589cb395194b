import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CoreModule } from '@hub/core';
import { VaultModule } from '@hub/vault';
import { ApiKeysCoreModule } from '@hub/api-keys';
import { InventoryModule } from '@hub/inventory';
import { CatalogModule } from '@hub/catalog';

/** Everything CLI commands may need; feature libs add their modules here. */
@Module({
  imports: [DiscoveryModule, CoreModule, VaultModule, ApiKeysCoreModule, InventoryModule, CatalogModule],
})
export class CliModule {}
