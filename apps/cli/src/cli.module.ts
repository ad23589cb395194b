import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CoreModule, EnvPartnerCredentialsModule } from '@hub/core';

/** Everything CLI commands may need; feature libs add their modules here. */
@Module({
  imports: [DiscoveryModule, CoreModule, EnvPartnerCredentialsModule],
})
export class CliModule {}
