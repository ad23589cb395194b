import { Injectable } from '@nestjs/common';
import { Channel, HubCommand, HubCommandRunner, ParsedArgs, parseTimestamp, ProblemException, Scope, SCOPES, Tier } from '@hub/core';
import { ApiKeysService } from '../api-keys.service';
import type { KeyEnvironment } from '../key-format';

/** A usage error: main.ts prints its message without a stack. */
class CommandError extends Error {
  override name = 'CommandError';
}

function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  if (v === true) throw new CommandError(`--${name} needs a value`);
  return v;
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Turns a validation problem into one line per field for the terminal. */
async function explain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProblemException) {
      const errors = (err.problem.extensions?.errors as { field: string; message: string }[] | undefined) ?? [];
      throw new CommandError(errors.length ? errors.map((e) => `--${e.field}: ${e.message}`).join('\n') : err.detail);
    }
    throw err;
  }
}

@Injectable()
@HubCommand({
  name: 'keys:create',
  description: 'Create an API key and print it once (the way to get the first admin key)',
  usage: '--name <name> --scopes all|<scope,...> [--tier internal] [--env live|test] [--channels amazon,...] [--cidrs 10.0.0.0/8,...] [--expires-at <ISO date>]',
})
export class KeysCreateCommand implements HubCommandRunner {
  constructor(private readonly keys: ApiKeysService) {}

  async run(args: ParsedArgs): Promise<void> {
    const name = flag(args, 'name');
    const scopesText = flag(args, 'scopes');
    if (!name) throw new CommandError('--name is required');
    if (!scopesText) throw new CommandError('--scopes is required (all, or a comma-separated list)');
    const expires = flag(args, 'expires-at');
    // The API's strict parser: `new Date()` also took 2026-02-30 (as 2026-03-02), "1" and 12/31/2026.
    const expiresAt = expires ? parseTimestamp(expires) : null;
    if (expires && !expiresAt) throw new CommandError('--expires-at must be an ISO 8601 date or date-time, such as 2027-01-01 or 2027-01-01T00:00:00Z (UTC when no offset)');
    const channels = list(flag(args, 'channels'));
    const { key, record } = await explain(() =>
      this.keys.create(
        {
          name,
          environment: (flag(args, 'env') ?? 'live') as KeyEnvironment,
          scopes: scopesText === 'all' ? 'all' : (list(scopesText) as Scope[]),
          tier: (flag(args, 'tier') ?? 'internal') as Tier,
          channels: channels as Channel[] | undefined,
          allowedCidrs: list(flag(args, 'cidrs')),
          expiresAt,
        },
        { label: 'cli' },
      ),
    );
    process.stdout.write(
      `Created API key ${record.keyId} (${record.name}, ${record.environment}, tier ${record.tier})\n` +
        `scopes: ${record.scopes.join(', ')}${record.channels ? `\nchannels: ${record.channels.join(', ')}` : ''}\n\n` +
        `${key}\n\nThis is the only time the key is shown. Store it in a secret manager now.\n`,
    );
  }
}

@Injectable()
@HubCommand({ name: 'keys:list', description: 'List API keys (never their secrets)', usage: '[--limit 50]' })
export class KeysListCommand implements HubCommandRunner {
  constructor(private readonly keys: ApiKeysService) {}

  async run(args: ParsedArgs): Promise<void> {
    const limit = Number(flag(args, 'limit') ?? 200);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new CommandError('--limit must be an integer from 1 to 200');
    const { data } = await this.keys.list({ limit });
    if (!data.length) {
      process.stdout.write('no API keys yet; create one with `npm run hub -- keys:create --name "Merchant admin" --scopes all`\n');
      return;
    }
    const rows = data.map((k) => [k.keyId, k.prefix + '…', k.status, k.tier, k.name, k.scopes.length === SCOPES.length ? 'all' : k.scopes.join(','), k.lastUsedAt ?? 'never']);
    const head = ['KEY ID', 'PREFIX', 'STATUS', 'TIER', 'NAME', 'SCOPES', 'LAST USED'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
  }
}

@Injectable()
@HubCommand({ name: 'keys:revoke', description: 'Revoke an API key on every api instance', usage: '<keyId> [--reason "..."]' })
export class KeysRevokeCommand implements HubCommandRunner {
  constructor(private readonly keys: ApiKeysService) {}

  async run(args: ParsedArgs): Promise<void> {
    const [keyId] = args.positional;
    if (!keyId) throw new CommandError('usage: keys:revoke <keyId> [--reason "..."]');
    const reason = flag(args, 'reason') ?? 'revoked from the CLI';
    const r = await explain(() => this.keys.revoke(keyId, reason, { label: 'cli' }));
    process.stdout.write(`Revoked ${r.keyId} (${r.name}) at ${r.revokedAt}: ${r.revokedReason}\n`);
  }
}

export const KEY_COMMANDS = [KeysCreateCommand, KeysListCommand, KeysRevokeCommand];
