import { Injectable } from '@nestjs/common';
import { HubCommand, HubCommandRunner } from '@hub/core';
import { VaultService } from './vault.service';

/** `npm run hub -- vault:rewrap`: run after adding a new master key, before removing the old one. */
@Injectable()
@HubCommand({ name: 'vault:rewrap', description: 'Re-encrypt every vault credential version under the newest master key' })
export class VaultRewrapCommand implements HubCommandRunner {
  constructor(private readonly vault: VaultService) {}

  async run(): Promise<void> {
    const r = await this.vault.rewrap({ system: 'system:cli' });
    process.stdout.write(`re-encrypted ${r.rewrapped} of ${r.total} credential version(s) under master key v${r.masterKeyVersion}\n`);
    if (r.failed.length) {
      const err = new Error(
        `${r.failed.length} version(s) could not be decrypted and still use their old master key:\n` + r.failed.map((f) => `  ${f.partner} v${f.version}: ${f.error}`).join('\n'),
      );
      err.name = 'CommandError';
      throw err;
    }
  }
}
