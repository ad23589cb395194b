import { Injectable } from '@nestjs/common';
import { Partner, PartnerCredential, PartnerCredentials } from '@hub/core';
import { VaultService } from './vault.service';

/** core's PartnerCredentials backed by the vault: what every adapter and payments use. */
@Injectable()
export class VaultPartnerCredentials extends PartnerCredentials {
  constructor(private readonly vault: VaultService) {
    super();
  }

  current<P extends Partner>(partner: P): Promise<PartnerCredential<P>> {
    return this.vault.current(partner);
  }

  usable<P extends Partner>(partner: P): Promise<PartnerCredential<P>[]> {
    return this.vault.usable(partner);
  }

  reportRejected(partner: Partner, version: number, reason: string): Promise<void> {
    return this.vault.reportRejected(partner, version, reason);
  }

  async reportAccepted(partner: Partner, version: number): Promise<void> {
    this.vault.reportAccepted(partner, version);
  }
}
