import { Global, Module } from '@nestjs/common';
import { EnvPartnerCredentials } from './env-partner-credentials';
import { PartnerCredentials } from './partner-credentials';

/** Binds PartnerCredentials to the environment (until an app imports the vault instead). */
@Global()
@Module({
  providers: [{ provide: PartnerCredentials, useClass: EnvPartnerCredentials }],
  exports: [PartnerCredentials],
})
export class EnvPartnerCredentialsModule {}
