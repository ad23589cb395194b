import { Partner, PartnerCredential, PartnerCredentials, PartnerFields } from '@hub/core';

/** PartnerCredentials for unit tests: fixed fields per partner, a settable version, and a log of reports. */
export class RecordingCredentials extends PartnerCredentials {
  version = 1;
  readonly rejected: { partner: Partner; version: number; reason: string }[] = [];
  readonly accepted: { partner: Partner; version: number }[] = [];

  constructor(private readonly fields: Partial<{ [P in Partner]: PartnerFields[P] }>) {
    super();
  }

  async current<P extends Partner>(partner: P): Promise<PartnerCredential<P>> {
    const f = this.fields[partner];
    if (!f) throw new Error(`no ${partner} credential in this test`);
    return { partner, version: this.version, fields: f as PartnerFields[P] };
  }

  async usable<P extends Partner>(partner: P): Promise<PartnerCredential<P>[]> {
    return [await this.current(partner)];
  }

  async reportRejected(partner: Partner, version: number, reason: string): Promise<void> {
    this.rejected.push({ partner, version, reason });
  }

  async reportAccepted(partner: Partner, version: number): Promise<void> {
    this.accepted.push({ partner, version });
  }
}
