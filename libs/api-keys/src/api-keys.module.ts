import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { provideConfig } from '@hub/core';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysConfig } from './api-keys.config';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuditEventsController } from './audit-events.controller';
import { KEY_COMMANDS } from './cli/keys.commands';
import { KeyCacheService } from './key-cache.service';
import { InstanceRegistryService } from './limits/instance-registry.service';
import { QuotaLeaseService } from './limits/quota-lease.service';
import { QuotaUsageService } from './limits/quota-usage.service';
import { UsageRecorderService } from './usage/usage-recorder.service';
import { UsageRetentionService } from './usage/usage-retention.service';

/**
 * Key lifecycle without the HTTP side: what the CLI needs (a revocation from the CLI is still
 * announced to every api instance).
 */
@Module({
  providers: [provideConfig(ApiKeysConfig), KeyCacheService, ApiKeysService, QuotaUsageService, UsageRetentionService, ...KEY_COMMANDS],
  exports: [ApiKeysConfig, KeyCacheService, ApiKeysService, QuotaUsageService, UsageRetentionService],
})
export class ApiKeysCoreModule {}

/**
 * The api side: key endpoints, the audit trail endpoint, and the global guard with its limiters.
 * The api app binds `ApiKeyGuard` as APP_GUARD.
 */
@Module({
  imports: [ApiKeysCoreModule, DiscoveryModule],
  controllers: [ApiKeysController, AuditEventsController],
  providers: [InstanceRegistryService, QuotaLeaseService, UsageRecorderService, ApiKeyGuard],
  exports: [ApiKeysCoreModule, ApiKeyGuard, QuotaLeaseService, UsageRecorderService, InstanceRegistryService],
})
export class ApiKeysModule {}
