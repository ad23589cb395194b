import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  AuditService,
  CHANNEL_PARTNER,
  Channel,
  ChannelSyncControl,
  CoreConfig,
  MetricsService,
  MissingPartnerCredentialError,
  Partner,
  PartnerCredential,
  PARTNERS,
  partnerFieldsFromEnv,
  PartnerFields,
  REDIS,
  REDIS_SUBSCRIBER,
} from '@hub/core';
import { AlertInput, AlertsService } from '@hub/alerts';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { credentialHealth, CredentialHealth, CredentialStatus } from './credential-health';
import { Envelope, MissingMasterKeyError, VaultDecryptionError } from './crypto/envelope';
import { MasterKeyRing } from './crypto/master-keys';
import { AMAZON_NOTICE_SOURCE, vaultChangedChannel } from './constants';
import { PartnerVerifier, VerifyResult } from './partners/partner-verifier';
import { VaultConfig } from './vault.config';
import { VaultRepository, VersionRow } from './vault.repository';

/** What the API shows of a version: metadata and a fingerprint, never a secret. */
export interface CredentialVersionView {
  partner: Partner;
  version: number;
  status: CredentialStatus;
  source: string;
  fingerprint: string;
  health: CredentialHealth;
  expiringWithinDays: number | null;
  expiresAt: string | null;
  graceUntil: string | null;
  rotateEveryDays: number | null;
  createdAt: string;
  rotatedAt: string | null;
  retiredAt: string | null;
  lastVerifiedAt: string | null;
  lastUsedAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  masterKeyVersion: number;
}

export interface Actor {
  keyId?: string | null;
  requestId?: string | null;
  ip?: string | null;
  /** Who acted when no API key did (bootstrap, worker jobs, CLI). */
  system?: string;
}

export interface WriteInput<P extends Partner = Partner> {
  fields: PartnerFields[P];
  expiresAt?: Date | null;
  rotateEveryDays?: number | null;
  source?: string;
  /** When the replaced version stops working, if the partner said so (Amazon's notice). */
  previousExpiresAt?: Date;
}

export interface VerificationOutcome {
  credential: CredentialVersionView;
  verification: VerifyResult;
}

interface CacheEntry {
  at: number;
  /** Current first (when it decrypts), then still-valid previous versions. */
  creds: PartnerCredential[];
  hasCurrent: boolean;
  /** Set when the current version exists but cannot be decrypted. */
  currentError: VaultDecryptionError | null;
}

/** `vault_keys.purpose` of the key fingerprints are made with. */
const FINGERPRINT_KEY = 'fingerprint';
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const DAY_MS = 86_400_000;
const CREDENTIAL_ALERT_KINDS: AlertInput['kind'][] = ['credential-expiring', 'credential-expired', 'credential-failing', 'credential-stale'];
const RECHECK: Actor = { system: 'system:recheck' };

/**
 * The vault: envelope-encrypted credential versions, verified rotation, and the state behind
 * PartnerCredentials (in-process cache, batched lastUsedAt, failure handling that pauses the
 * dependent channel and raises alerts).
 */
@Injectable()
export class VaultService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(VaultService.name);
  readonly envelope: Envelope;
  private readonly cache = new Map<Partner, CacheEntry>();
  /** Bumped on every invalidation so a load that raced with it is not cached. */
  private readonly generation = new Map<Partner, number>();
  private readonly usage = new Map<string, { partner: Partner; version: number; at: Date }>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly channel: string;
  private syncControl: ChannelSyncControl | null | undefined;
  private readonly failures: Counter<'partner' | 'cause'>;

  constructor(
    private readonly repo: VaultRepository,
    private readonly cfg: VaultConfig,
    core: CoreConfig,
    private readonly verifier: PartnerVerifier,
    private readonly audit: AuditService,
    private readonly alerts: AlertsService,
    private readonly moduleRef: ModuleRef,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
    metrics: MetricsService,
  ) {
    this.envelope = new Envelope(new MasterKeyRing(core.HUB_MASTER_KEYS));
    this.channel = vaultChangedChannel(core.REDIS_PREFIX);
    this.failures = metrics.counter('vault_credential_failures_total', 'Partner credential versions refused by the partner or by decryption', ['partner', 'cause']);
  }

  async onModuleInit(): Promise<void> {
    await this.assertMasterKeysPresent();
    await this.loadFingerprintKey();
    this.subscriber.on('message', this.onMessage);
    // Messages missed while disconnected cannot be replayed: drop everything on reconnect.
    this.subscriber.on('ready', this.onReady);
    // Subscribed before importing, so an import by another instance booting alongside reaches us.
    await this.subscriber.subscribe(this.channel);
    await this.importFromEnvironment();
    this.flushTimer = setInterval(() => void this.flushUsage().catch((err) => this.logger.warn({ err }, 'lastUsedAt flush failed')), this.cfg.VAULT_USAGE_FLUSH_MS);
    this.flushTimer.unref();
    this.alerts.registerEvaluator({ kinds: CREDENTIAL_ALERT_KINDS, evaluate: () => this.credentialAlerts() });
  }

  /** Before Postgres and Redis close (their modules close in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('ready', this.onReady);
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
    await this.flushUsage().catch(() => undefined);
  }

  private readonly onMessage = (channel: string, message: string) => {
    if (channel !== this.channel) return;
    if ((PARTNERS as readonly string[]).includes(message)) this.dropCache(message as Partner);
  };

  private readonly onReady = () => {
    for (const p of PARTNERS) this.dropCache(p);
  };

  private dropCache(partner: Partner): void {
    this.cache.delete(partner);
    this.generation.set(partner, (this.generation.get(partner) ?? 0) + 1);
  }

  /** Tells every instance (this one included) that a partner's versions changed. */
  private async invalidate(partner: Partner): Promise<void> {
    this.dropCache(partner);
    await this.redis.publish(this.channel, partner).catch((err) => this.logger.warn({ err }, 'vault invalidation publish failed'));
  }

  // ---------------------------------------------------------------- boot

  /** Refuses to start when a stored version needs a master key HUB_MASTER_KEYS no longer lists. */
  async assertMasterKeysPresent(): Promise<void> {
    let usage: { masterKeyVersion: number; count: number }[];
    try {
      usage = await this.repo.masterKeyUsage();
    } catch (err) {
      // 42P01: undefined table. Say what to do instead of printing raw SQL.
      if ((err as { code?: string }).code === '42P01') throw new Error('The vault tables are missing: run `npm run db:migrate` first');
      throw err;
    }
    const missing = usage.filter((u) => !this.envelope.hasMasterKey(u.masterKeyVersion));
    if (missing.length) {
      throw new MissingMasterKeyError(
        missing.map((m) => m.masterKeyVersion),
        missing.reduce((n, m) => n + m.count, 0),
      );
    }
  }

  /**
   * The fingerprint key: random, created once, stored wrapped by a master key (vault:rewrap moves
   * it forward with the credentials), so fingerprints survive adding or removing master keys. An
   * install that already has versions adopts the key its fingerprints were made with.
   */
  async loadFingerprintKey(): Promise<void> {
    const key = await this.repo.ds.transaction(async (m) => {
      await this.repo.lockKeys(m);
      const stored = await this.repo.getKey(m, FINGERPRINT_KEY);
      if (stored) return this.envelope.unwrapKey(FINGERPRINT_KEY, stored);
      const fresh = (await this.repo.hasAnyVersion(m)) ? this.envelope.legacyFingerprintKey() : randomBytes(32);
      await this.repo.putKey(m, FINGERPRINT_KEY, this.envelope.wrapKey(FINGERPRINT_KEY, fresh));
      return fresh;
    });
    this.envelope.useFingerprintKey(key);
    key.fill(0);
  }

  /**
   * Fresh install path: a partner with no version at all gets the environment's credential as
   * version 1. Afterwards the environment is ignored for that partner.
   */
  async importFromEnvironment(): Promise<Partner[]> {
    const present = await this.repo.partnersWithAnyVersion();
    const imported: Partner[] = [];
    for (const partner of PARTNERS) {
      if (present.has(partner)) continue;
      const fields = partnerFieldsFromEnv(partner);
      if (!fields) continue;
      const done = await this.repo.ds.transaction(async (m) => {
        await this.repo.lockPartner(m, partner);
        // Another instance may have imported while we waited for the lock.
        if ((await this.repo.nextVersion(m, partner)) !== 1) return false;
        const sealed = this.envelope.encrypt(partner, 1, fields as unknown as Record<string, string>);
        await this.repo.insertNextVersion(
          m,
          { partner, status: 'current', source: 'environment', ...sealed, fingerprint: this.envelope.fingerprint(fields as unknown as Record<string, string>), expiresAt: null, rotateEveryDays: null },
          1,
        );
        await this.audit.record({ action: 'vault.credential.imported', subjectType: 'partner-credential', subjectId: `${partner}:v1`, details: { partner, version: 1, source: 'environment', by: 'bootstrap' } }, m);
        return true;
      });
      if (done) {
        imported.push(partner);
        this.logger.log({ partner }, 'imported partner credential from the environment into the vault');
        // A job that looked before the import (a worker's first review pull, say) cached "none":
        // without this, the first publish after a fresh install failed for VAULT_CACHE_TTL_MS.
        await this.invalidate(partner);
      }
    }
    return imported;
  }

  // ---------------------------------------------------------------- PartnerCredentials

  private async load(partner: Partner): Promise<CacheEntry> {
    const hit = this.cache.get(partner);
    if (hit && Date.now() - hit.at < this.cfg.VAULT_CACHE_TTL_MS) return hit;
    const gen = this.generation.get(partner) ?? 0;
    const rows = await this.repo.usable(partner);
    const entry: CacheEntry = { at: Date.now(), creds: [], hasCurrent: false, currentError: null };
    for (const row of rows) {
      try {
        entry.creds.push({ partner, version: row.version, fields: this.envelope.decrypt(partner, row.version, row) as never });
        if (row.status === 'current') entry.hasCurrent = true;
      } catch (err) {
        if (!(err instanceof VaultDecryptionError)) throw err;
        this.logger.error({ partner, version: row.version, reason: err.message }, 'vault decryption refused');
        this.failures.inc({ partner, cause: 'decryption' });
        await this.onFailure(partner, row.version, err.message, true);
        if (row.status === 'current') entry.currentError = err;
      }
    }
    if ((this.generation.get(partner) ?? 0) === gen) this.cache.set(partner, entry);
    return entry;
  }

  async current<P extends Partner>(partner: P): Promise<PartnerCredential<P>> {
    const entry = await this.load(partner);
    if (entry.currentError) throw entry.currentError;
    // Without a current version a still-valid previous one is not promoted silently.
    const cur = entry.hasCurrent ? entry.creds[0] : undefined;
    if (!cur) throw new MissingPartnerCredentialError(partner, ['a current version in the vault (PUT /v1/vault/credentials/' + partner + ')']);
    return cur as PartnerCredential<P>;
  }

  async usable<P extends Partner>(partner: P): Promise<PartnerCredential<P>[]> {
    const entry = await this.load(partner);
    if (!entry.creds.length) {
      if (entry.currentError) throw entry.currentError;
      throw new MissingPartnerCredentialError(partner, ['a current version in the vault']);
    }
    return entry.creds as PartnerCredential<P>[];
  }

  /** Batched: partners answer many calls per second; one UPDATE every few seconds is enough. */
  reportAccepted(partner: Partner, version: number): void {
    this.usage.set(`${partner}:${version}`, { partner, version, at: new Date() });
  }

  async flushUsage(): Promise<void> {
    if (!this.usage.size) return;
    const batch = [...this.usage.values()];
    this.usage.clear();
    await this.repo.touchUsed(batch);
  }

  async reportRejected(partner: Partner, version: number, reason: string): Promise<void> {
    this.failures.inc({ partner, cause: 'rejected' });
    await this.onFailure(partner, version, reason, true);
  }

  /**
   * A partner refused a version (or it no longer decrypts). The first failure of the current
   * version is audited; every one keeps the alert open and the dependent channel paused.
   */
  private async onFailure(partner: Partner, version: number, reason: string, rejected: boolean): Promise<void> {
    // A success still waiting in the batch must not outrank this failure.
    this.usage.delete(`${partner}:${version}`);
    const prior = await this.repo.markFailed(partner, version, reason, rejected);
    if (!prior || !rejected) return;
    if (!prior.wasFailing) {
      await this.audit.record({ action: 'vault.credential.failing', subjectType: 'partner-credential', subjectId: `${partner}:v${version}`, details: { partner, version, reason: reason.slice(0, 300) } });
    }
    if (prior.status === 'pending' && prior.source === AMAZON_NOTICE_SOURCE) {
      // No operator PUT this version and saw the 422: without the alert, nobody hears that the new
      // secret was refused until the old one expires.
      await this.reconcileCredentialAlerts();
    }
    if (prior.status !== 'current') {
      // A job that still held the replaced version got refused and its channel may pause right
      // after this returns; once that settles, resume it if the current version works.
      if (channelOf(partner)) setTimeout(() => void this.resumeIfCurrentWorks(partner).catch((err) => this.logger.warn({ err, partner }, 'resume check failed')), 2000).unref();
      return;
    }
    await this.alerts.raise({ kind: 'credential-failing', subject: partner, severity: 'critical', message: `The ${partner} credential v${version} is failing: ${reason.slice(0, 300)}`, details: { partner, version } });
    const channel = channelOf(partner);
    const ctl = this.channelSync();
    if (channel && ctl) {
      await ctl.pause(channel, `${partner} credential v${version} rejected: ${reason.slice(0, 200)}`);
      await this.alerts.raise({ kind: 'channel-sync-paused', subject: channel, severity: 'critical', message: `Sync to ${channel} is paused until a working ${partner} credential is current; updates are held, not lost.`, details: { channel, partner, version } });
    }
  }

  /** A working credential is current again: resume the channel and let its alerts resolve. */
  private async onWorking(partner: Partner): Promise<void> {
    const channel = channelOf(partner);
    const ctl = this.channelSync();
    if (channel && ctl && (await ctl.isPaused(channel))) {
      await ctl.resume(channel);
      this.logger.log({ channel, partner }, 'channel sync resumed after credential recovery');
    }
    if (channel) await this.alerts.resolve('channel-sync-paused', channel);
    // credential-failing is left to the reconcile, not resolved outright: it also stands for a
    // refused new secret from Amazon, which a working current version does not fix.
    await this.reconcileCredentialAlerts();
  }

  private async reconcileCredentialAlerts(): Promise<void> {
    await this.alerts.reconcile(CREDENTIAL_ALERT_KINDS, await this.credentialAlerts());
  }

  /**
   * A channel paused although its partner's current version is not failing (the pause came from
   * a request made with a replaced version): verify the current one and, if it works, resume.
   */
  async resumeIfCurrentWorks(partner: Partner): Promise<boolean> {
    const channel = channelOf(partner);
    const ctl = this.channelSync();
    if (!channel || !ctl || !(await ctl.isPaused(channel))) return false;
    const cur = await this.repo.current(partner);
    if (!cur || credentialHealth(cur, new Date(), []).health === 'failing') return false;
    const out = await this.verify(partner, cur.version, RECHECK);
    return !!out?.verification.ok;
  }

  /** The inventory lib may not be loaded in this process (CLI, tests): then there is nothing to pause. */
  private channelSync(): ChannelSyncControl | null {
    if (this.syncControl === undefined) {
      try {
        this.syncControl = this.moduleRef.get(ChannelSyncControl, { strict: false });
      } catch {
        this.syncControl = null;
      }
    }
    return this.syncControl ?? null;
  }

  // ---------------------------------------------------------------- writes

  /** Stores a pending version, verifies it against the partner, and promotes it when it works. */
  async write<P extends Partner>(partner: P, input: WriteInput<P>, actor: Actor): Promise<VerificationOutcome> {
    const fields = input.fields as unknown as Record<string, string>;
    const row = await this.repo.ds.transaction(async (m) => {
      await this.repo.lockPartner(m, partner);
      const version = await this.repo.nextVersion(m, partner);
      const sealed = this.envelope.encrypt(partner, version, fields);
      const inserted = await this.repo.insertNextVersion(
        m,
        { partner, status: 'pending', source: input.source ?? 'api', ...sealed, fingerprint: this.envelope.fingerprint(fields), expiresAt: input.expiresAt ?? null, rotateEveryDays: input.rotateEveryDays ?? null },
        version,
      );
      await this.audit.record(
        { action: 'vault.credential.written', ...auditActor(actor), subjectType: 'partner-credential', subjectId: `${partner}:v${version}`, details: { partner, version, fingerprint: inserted.fingerprint, source: inserted.source, expiresAt: iso(inserted.expiresAt) } },
        m,
      );
      return inserted;
    });
    return this.verifyRow(row, input.fields, actor, input.previousExpiresAt);
  }

  /** Re-checks a version (default: the current one); a pending version that passes becomes current. */
  async verify(partner: Partner, version: number | undefined, actor: Actor): Promise<VerificationOutcome | null> {
    const row = version ? await this.repo.get(partner, version) : await this.repo.current(partner);
    if (!row) return null;
    let fields: PartnerFields[Partner];
    try {
      fields = this.envelope.decrypt(partner, row.version, row) as never;
    } catch (err) {
      if (!(err instanceof VaultDecryptionError)) throw err;
      await this.onFailure(partner, row.version, err.message, true);
      const verification: VerifyResult = { ok: false, rejected: true, error: err.message };
      await this.audit.record({ action: 'vault.credential.verified', ...auditActor(actor), subjectType: 'partner-credential', subjectId: `${partner}:v${row.version}`, details: { partner, version: row.version, ok: false, error: err.message } });
      return { credential: this.view((await this.repo.get(partner, row.version))!), verification };
    }
    return this.verifyRow(row, fields, actor);
  }

  private async verifyRow(row: VersionRow, fields: PartnerFields[Partner], actor: Actor, previousExpiresAt?: Date): Promise<VerificationOutcome> {
    const { partner, version } = row;
    const verification = await this.verifier.verify(partner, fields);
    await this.audit.record({
      action: 'vault.credential.verified',
      ...auditActor(actor),
      subjectType: 'partner-credential',
      subjectId: `${partner}:v${version}`,
      details: { partner, version, status: row.status, ok: verification.ok, ...(verification.ok ? {} : { error: verification.error, rejected: verification.rejected }) },
    });
    if (verification.ok) {
      await this.repo.markVerified(partner, version);
      if (row.status === 'pending') await this.promote(partner, version, actor, previousExpiresAt);
      else if (row.status === 'current') await this.onWorking(partner);
    } else {
      await this.onFailure(partner, version, verification.error, verification.rejected);
    }
    return { credential: this.view((await this.repo.get(partner, version))!), verification };
  }

  /**
   * Makes a verified pending version current. The old current becomes `previous` and stays usable
   * until its own expiry (the earlier of the one it had and the one the partner announced); only
   * without either does it get the grace period (Amazon keeps an old secret 7 days), kept in its own
   * column so expires_at still says what the partner said. Older previous versions are left alone:
   * each stays usable until its own end, since a webhook signed with it may still be on its way.
   * Versions only move forward: verifications run outside the lock and can finish in any order, so
   * a pending version older than the current one retires instead of replacing it, and promoting a
   * version retires the pending ones written before it.
   */
  async promote(partner: Partner, version: number, actor: Actor, previousExpiresAt?: Date): Promise<void> {
    const graceUntil = new Date(Date.now() + this.cfg.VAULT_PREVIOUS_GRACE_DAYS * DAY_MS);
    const from = await this.repo.ds.transaction(async (m) => {
      await this.repo.lockPartner(m, partner);
      const target = await this.repo.get(partner, version, m);
      if (!target || target.status !== 'pending') return undefined;
      const old = await this.repo.current(partner, m);
      if (old && old.version > version) {
        await this.repo.setStatus(m, partner, version, 'retired', ', retired_at = now()');
        await this.audit.record(
          { action: 'vault.credential.superseded', ...auditActor(actor), subjectType: 'partner-credential', subjectId: `${partner}:v${version}`, details: { partner, version, current: old.version } },
          m,
        );
        return null;
      }
      const superseded: { version: number }[] = (
        await m.query(
          `UPDATE vault_credential_versions SET status = 'retired', retired_at = now() WHERE partner = $1 AND status = 'pending' AND version < $2 RETURNING version`,
          [partner, version],
        )
      )[0];
      let oldUntil: Date | null = null;
      if (old) {
        // An announced end later than the one already recorded does not extend it (as in recordCurrentExpiry).
        const known = [old.expiresAt, previousExpiresAt].filter((d): d is Date => !!d);
        const expiresAt = known.length ? new Date(Math.min(...known.map((d) => d.getTime()))) : null;
        const grace = expiresAt ? null : graceUntil;
        oldUntil = expiresAt ?? grace;
        await m.query(`UPDATE vault_credential_versions SET status = 'previous', expires_at = $3, grace_until = $4 WHERE partner = $1 AND version = $2`, [partner, old.version, expiresAt, grace]);
      }
      await m.query(
        `UPDATE vault_credential_versions SET status = 'current', rotated_at = now(), last_verified_at = now(), last_error = NULL WHERE partner = $1 AND version = $2`,
        [partner, version],
      );
      await this.audit.record(
        {
          action: 'vault.credential.rotated',
          ...auditActor(actor),
          subjectType: 'partner-credential',
          subjectId: `${partner}:v${version}`,
          details: { partner, from: old?.version ?? null, to: version, previousUsableUntil: iso(oldUntil), retiredPending: superseded.map((r) => r.version) },
        },
        m,
      );
      return { from: old?.version ?? null };
    });
    if (!from) {
      // Superseded: only its listing changed, no cached credential did.
      if (from === null) this.logger.warn({ partner, version }, 'verified credential version is older than the current one: retired, not promoted');
      return;
    }
    this.logger.log({ partner, from: from.from, to: version }, 'partner credential rotated');
    await this.invalidate(partner);
    await this.onWorking(partner);
  }

  // ---------------------------------------------------------------- reads

  async list(actor?: Actor): Promise<{ partner: Partner; versions: CredentialVersionView[] }[]> {
    await this.flushUsage();
    // Reading the vault's metadata is vault access too (CONTRACT: the forensic trail shows it).
    if (actor) await this.audit.record({ action: 'vault.credentials.listed', ...auditActor(actor), subjectType: 'vault', subjectId: 'all' });
    const rows = await this.repo.all();
    return PARTNERS.map((partner) => ({ partner, versions: rows.filter((r) => r.partner === partner).map((r) => this.view(r)) }));
  }

  view(r: VersionRow, now = new Date()): CredentialVersionView {
    // A replaced version is judged by when we stop using it (its grace counts when it has no
    // expiry), and is past rotating: stale would ask the operator to rotate what already was.
    const judged = r.status === 'previous' ? { ...r, expiresAt: r.expiresAt ?? r.graceUntil, rotateEveryDays: null } : r;
    const verdict = credentialHealth(judged, now, this.cfg.warnDays());
    return {
      partner: r.partner,
      version: r.version,
      status: r.status,
      source: r.source,
      fingerprint: r.fingerprint,
      health: verdict.health,
      expiringWithinDays: verdict.expiringWithinDays ?? null,
      expiresAt: iso(r.expiresAt),
      graceUntil: iso(r.graceUntil),
      rotateEveryDays: r.rotateEveryDays,
      createdAt: r.createdAt.toISOString(),
      rotatedAt: iso(r.rotatedAt),
      retiredAt: iso(r.retiredAt),
      lastVerifiedAt: iso(r.lastVerifiedAt),
      lastUsedAt: iso(r.lastUsedAt),
      lastFailureAt: iso(r.lastFailureAt),
      lastError: r.lastError,
      masterKeyVersion: r.masterKeyVersion,
    };
  }

  /**
   * Conditions of each partner's current version, judged independently (a failing credential
   * that also expires soon keeps both alerts), for the alerts reconciler. Previous versions raise
   * nothing: they are meant to end, and nothing the operator does would change that.
   */
  async credentialAlerts(now = new Date()): Promise<AlertInput[]> {
    const out: AlertInput[] = [];
    const warn = this.cfg.warnDays();
    const rows = await this.repo.all();
    const isFailing = (v: VersionRow) => credentialHealth({ ...v, expiresAt: null, rotateEveryDays: null }, now, warn).health === 'failing';
    for (const r of rows.filter((x) => x.status === 'current')) {
      const p = r.partner;
      const base = { partner: p, version: r.version, fingerprint: r.fingerprint };
      // A new secret from Amazon's notice that LWA refused: the current one still works, but only
      // until the expiry the same notice announced.
      const refusedNotice = rows.find((x) => x.partner === p && x.status === 'pending' && x.source === AMAZON_NOTICE_SOURCE && isFailing(x));
      if (isFailing(r)) {
        out.push({ kind: 'credential-failing', subject: p, severity: 'critical', message: `The ${p} credential v${r.version} is failing: ${r.lastError ?? 'rejected by the partner'}`, details: base });
      } else if (refusedNotice) {
        out.push({
          kind: 'credential-failing',
          subject: p,
          severity: 'warning',
          message:
            `The new ${p} client secret from Amazon's rotation notice (v${refusedNotice.version}) was refused: ${refusedNotice.lastError ?? 'rejected by the partner'}. ` +
            `v${r.version} stays current${r.expiresAt ? ` until ${iso(r.expiresAt)}` : ''}; the vault retries v${refusedNotice.version} on every re-check, or PUT a working credential.`,
          details: { ...base, pendingVersion: refusedNotice.version, pendingFingerprint: refusedNotice.fingerprint },
        });
      }
      const expiry = credentialHealth({ ...r, lastFailureAt: null, rotateEveryDays: null }, now, warn);
      if (expiry.health === 'expired') {
        out.push({ kind: 'credential-expired', subject: p, severity: 'critical', message: `The ${p} credential v${r.version} expired at ${iso(r.expiresAt)}`, details: { ...base, expiresAt: iso(r.expiresAt) } });
      } else if (expiry.health === 'expiring') {
        const within = expiry.expiringWithinDays!;
        out.push({
          kind: 'credential-expiring',
          subject: p,
          severity: within <= Math.min(...warn) ? 'critical' : 'warning',
          message: `The ${p} credential v${r.version} expires at ${iso(r.expiresAt)} (within ${within} day${within === 1 ? '' : 's'}); rotate it before then`,
          details: { ...base, expiresAt: iso(r.expiresAt), escalation: `within-${within}-days` },
        });
      }
      const stale = credentialHealth({ ...r, lastFailureAt: null, expiresAt: null }, now, warn);
      if (stale.health === 'stale') {
        out.push({ kind: 'credential-stale', subject: p, severity: 'warning', message: `The ${p} credential v${r.version} is older than its rotation period of ${r.rotateEveryDays} days`, details: { ...base, rotateEveryDays: r.rotateEveryDays } });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- periodic and admin work

  /**
   * Worker job: retire expired previous versions, retry the new secrets Amazon's notices brought
   * that have not verified yet (promoting them once they do), and re-verify failing current ones.
   * Verification makes the same checks real traffic depends on (Amazon's seller and marketplace,
   * Nykaa's seller), so a recovery here does not resume a channel that the next push would pause again.
   */
  async recheck(): Promise<{ retired: number; promoted: string[]; rechecked: Partner[]; recovered: Partner[] }> {
    const retired = await this.repo.retireExpired();
    for (const r of retired) {
      await this.audit.record({ action: 'vault.credential.retired', subjectType: 'partner-credential', subjectId: `${r.partner}:v${r.version}`, details: { ...r, by: 'system:recheck' } });
      await this.invalidate(r.partner);
    }
    // The notice that carried such a secret is gone once LWA refused it, and no operator will PUT
    // it: retrying here is what makes it current when LWA starts accepting it.
    const promoted: string[] = [];
    for (const r of (await this.repo.all()).filter((x) => x.status === 'pending' && x.source === AMAZON_NOTICE_SOURCE)) {
      const out = await this.verify(r.partner, r.version, RECHECK);
      if (out?.credential.status === 'current') promoted.push(`${r.partner}:v${r.version}`);
    }
    const rechecked: Partner[] = [];
    const recovered: Partner[] = [];
    for (const r of (await this.repo.all()).filter((x) => x.status === 'current')) {
      if (credentialHealth(r, new Date(), []).health !== 'failing') continue;
      rechecked.push(r.partner);
      const out = await this.verify(r.partner, r.version, RECHECK);
      if (out?.verification.ok) recovered.push(r.partner);
    }
    for (const partner of PARTNERS) {
      if (rechecked.includes(partner)) continue;
      if (await this.resumeIfCurrentWorks(partner)) recovered.push(partner);
    }
    return { retired: retired.length, promoted, rechecked, recovered };
  }

  /** Re-encrypts every version under the newest master key with a fresh data key. */
  async rewrap(actor: Actor): Promise<{ total: number; rewrapped: number; failed: { partner: Partner; version: number; error: string }[]; masterKeyVersion: number }> {
    const failed: { partner: Partner; version: number; error: string }[] = [];
    let rewrapped = 0;
    const rows = await this.repo.all();
    await this.repo.ds.transaction(async (m) => {
      for (const p of PARTNERS) await this.repo.lockPartner(m, p);
      await this.repo.lockKeys(m);
      const fpKey = await this.repo.getKey(m, FINGERPRINT_KEY);
      if (fpKey) {
        const clear = this.envelope.unwrapKey(FINGERPRINT_KEY, fpKey);
        await this.repo.putKey(m, FINGERPRINT_KEY, this.envelope.wrapKey(FINGERPRINT_KEY, clear));
        clear.fill(0);
      }
      for (const r of rows) {
        try {
          const fields = this.envelope.decrypt(r.partner, r.version, r);
          const sealed = this.envelope.encrypt(r.partner, r.version, fields);
          await this.repo.replaceSealed(m, r.id, sealed, this.envelope.fingerprint(fields));
          rewrapped++;
        } catch (err) {
          if (!(err instanceof VaultDecryptionError)) throw err;
          failed.push({ partner: r.partner, version: r.version, error: err.message });
        }
      }
      await this.audit.record(
        { action: 'vault.rewrapped', ...auditActor(actor), subjectType: 'vault', subjectId: 'all', details: { total: rows.length, rewrapped, failed: failed.map((f) => `${f.partner}:v${f.version}`), masterKeyVersion: this.envelope.newestVersion } },
        m,
      );
    });
    for (const p of PARTNERS) await this.invalidate(p);
    return { total: rows.length, rewrapped, failed, masterKeyVersion: this.envelope.newestVersion };
  }

  /**
   * Amazon announced when a secret stops working: record it on the current version so health and
   * alerts see it. SQS keeps no order, so a notice published (`announcedAt`) before the current
   * version became current is about a secret that version replaced, and is skipped.
   * `keepEarlier` keeps an earlier expiry already recorded (an announced end of "the old secret"
   * does not extend one the operator set). `reconcileAlerts: false` leaves the alerts to the caller.
   */
  async recordCurrentExpiry(
    partner: Partner,
    expiresAt: Date,
    actor: Actor,
    opts: { announcedAt?: Date; keepEarlier?: boolean; reconcileAlerts?: boolean } = {},
  ): Promise<{ version: number; expiresAt: Date } | { skipped: string }> {
    const out = await this.repo.ds.transaction(async (m) => {
      // Under the partner lock, so a promotion cannot slip in between the check and the write.
      await this.repo.lockPartner(m, partner);
      const cur = await this.repo.current(partner, m);
      if (!cur) return { skipped: `no current ${partner} version` };
      const since = cur.rotatedAt ?? cur.createdAt;
      if (opts.announcedAt && opts.announcedAt.getTime() < since.getTime()) {
        return { skipped: `announced at ${opts.announcedAt.toISOString()}, before v${cur.version} became current at ${since.toISOString()}` };
      }
      const at = opts.keepEarlier && cur.expiresAt && cur.expiresAt < expiresAt ? cur.expiresAt : expiresAt;
      await this.repo.recordExpiry(partner, cur.version, at, m);
      await this.audit.record(
        { action: 'vault.credential.expiry-recorded', ...auditActor(actor), subjectType: 'partner-credential', subjectId: `${partner}:v${cur.version}`, details: { partner, version: cur.version, expiresAt: at.toISOString() } },
        m,
      );
      return { version: cur.version, expiresAt: at };
    });
    // A skip is the caller's to log: it knows which notice it was.
    if ('skipped' in out) return out;
    if (opts.reconcileAlerts !== false) await this.reconcileCredentialAlerts();
    return out;
  }

  /** Where the current version came from and since when it is current (to place an out-of-order notice). */
  async currentOrigin(partner: Partner): Promise<{ version: number; source: string; since: Date } | null> {
    const cur = await this.repo.current(partner);
    return cur ? { version: cur.version, source: cur.source, since: cur.rotatedAt ?? cur.createdAt } : null;
  }

  /** A version holding exactly these fields (dedupes a notice delivered twice). */
  async findByFields(partner: Partner, fields: Record<string, string>): Promise<CredentialVersionView | null> {
    const fp = this.envelope.fingerprint(fields);
    const row = (await this.repo.all()).find((r) => r.partner === partner && r.fingerprint === fp && r.status !== 'retired');
    return row ? this.view(row) : null;
  }

  /** The current fields in clear, for building a new version from one changed field (Amazon's new secret). */
  async currentFields<P extends Partner>(partner: P): Promise<PartnerFields[P] | null> {
    try {
      return (await this.current(partner)).fields;
    } catch (err) {
      if (err instanceof MissingPartnerCredentialError) return null;
      throw err;
    }
  }
}

function channelOf(partner: Partner): Channel | null {
  const found = Object.entries(CHANNEL_PARTNER).find(([, p]) => p === partner);
  return found ? (found[0] as Channel) : null;
}

function auditActor(a: Actor) {
  return { actorKeyId: a.keyId ?? a.system ?? null, requestId: a.requestId ?? null, ip: a.ip ?? null };
}
