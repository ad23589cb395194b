import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthContext, ProblemException, RequireScope, Scope, validationFailed } from '@hub/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeyResponses } from './api-key-responses.decorator';
import { Actor, ApiKeysService, PatchKeyInput } from './api-keys.service';
import { ApiKeyRecordDto, CreatedKeyDto, KeyListDto, KeyUsageDto, RotatedKeyDto } from './dto/key-response.dto';
import { CreateKeyDto, ListKeysQueryDto, PatchKeyDto, RevokeKeyDto, RotateKeyDto, UsageQueryDto } from './dto/key.dto';

function actorOf(req: FastifyRequest): Actor {
  return { keyId: req.auth?.keyId ?? null, requestId: String(req.id), ip: req.clientIp };
}

/** A key may only hand out what it holds itself: no scope or channel escalation through /v1/keys. */
function assertWithinGrant(auth: AuthContext | undefined, scopes: readonly Scope[] | undefined, channels: readonly string[] | null | undefined): void {
  if (!auth) return;
  const missing = scopes?.find((s) => !auth.scopes.has(s));
  if (missing) {
    throw new ProblemException(403, 'insufficient-scope', `Your key cannot grant the ${missing} scope it does not hold`, { extensions: { requiredScope: missing } });
  }
  if (auth.channels && (!channels || channels.some((c) => !auth.channels!.includes(c as never)))) {
    throw new ProblemException(403, 'channel-not-allowed', `Your key is bound to ${auth.channels.join(', ')} and can only create keys bound to those channels`);
  }
}

function toDate(field: string, v: string | null | undefined): Date | null | undefined {
  if (v === undefined || v === null) return v;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw validationFailed([{ field, message: 'must be an ISO 8601 date-time' }]);
  return d;
}

@ApiTags('API keys')
@ApiKeyResponses()
@Controller('v1/keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('keys:write')
  @ApiOperation({ summary: 'Create an API key', description: 'Returns the full key once, in `key`. Only its HMAC is stored.' })
  @ApiCreatedResponse({ type: CreatedKeyDto })
  async create(@Body() dto: CreateKeyDto, @Req() req: FastifyRequest) {
    assertWithinGrant(req.auth, dto.scopes, dto.channels ?? null);
    const { key, record } = await this.keys.create(
      { ...dto, limits: dto.limits, expiresAt: toDate('expiresAt', dto.expiresAt) ?? null },
      actorOf(req),
    );
    return { key, ...record };
  }

  @Get()
  @RequireScope('keys:read')
  @ApiOperation({ summary: 'List API keys', description: 'Newest first; never the secret.' })
  @ApiOkResponse({ type: KeyListDto })
  list(@Query() q: ListKeysQueryDto) {
    return this.keys.list({ limit: q.limit, cursor: q.cursor });
  }

  @Get(':keyId')
  @RequireScope('keys:read')
  @ApiOperation({ summary: 'Get an API key', description: 'Status, limits, lastUsedAt and usage totals; never the secret.' })
  @ApiOkResponse({ type: ApiKeyRecordDto })
  get(@Param('keyId') keyId: string) {
    return this.keys.get(keyId);
  }

  @Patch(':keyId')
  @RequireScope('keys:write')
  @ApiOperation({ summary: 'Change an API key', description: 'Takes effect on every api instance within a second.' })
  @ApiOkResponse({ type: ApiKeyRecordDto })
  patch(@Param('keyId') keyId: string, @Body() dto: PatchKeyDto, @Req() req: FastifyRequest) {
    if (dto.scopes !== undefined || dto.channels !== undefined) assertWithinGrant(req.auth, dto.scopes, dto.channels === undefined ? req.auth?.channels : dto.channels);
    const input: PatchKeyInput = {};
    for (const f of ['name', 'scopes', 'tier', 'limits', 'channels', 'allowedCidrs', 'metadata', 'application'] as const) {
      if (dto[f] !== undefined) (input as Record<string, unknown>)[f] = dto[f];
    }
    if (dto.expiresAt !== undefined) input.expiresAt = toDate('expiresAt', dto.expiresAt);
    return this.keys.patch(keyId, input, actorOf(req));
  }

  @Post(':keyId/rotate')
  @HttpCode(201)
  @RequireScope('keys:write')
  @ApiOperation({ summary: 'Rotate an API key', description: 'Creates a new key (returned once); the old one keeps working for `overlapSeconds` (default 24 h), then expires.' })
  @ApiCreatedResponse({ type: RotatedKeyDto })
  async rotate(@Param('keyId') keyId: string, @Body() dto: RotateKeyDto, @Req() req: FastifyRequest) {
    const { key, record, previous } = await this.keys.rotate(keyId, dto?.overlapSeconds, actorOf(req));
    return { key, ...record, previous };
  }

  @Post(':keyId/revoke')
  @HttpCode(200)
  @RequireScope('keys:write')
  @ApiOperation({ summary: 'Revoke an API key', description: 'Refused on every api instance within a second. Revoking twice keeps the first reason.' })
  @ApiOkResponse({ type: ApiKeyRecordDto })
  revoke(@Param('keyId') keyId: string, @Body() dto: RevokeKeyDto, @Req() req: FastifyRequest) {
    return this.keys.revoke(keyId, dto.reason, actorOf(req));
  }

  @Get(':keyId/usage')
  @RequireScope('keys:read', 'analytics:read')
  @ApiOperation({ summary: 'Usage of an API key', description: 'Requests, 4xx, 5xx and latency per UTC hour or day (counts land within about a second).' })
  @ApiOkResponse({ type: KeyUsageDto })
  async usage(@Param('keyId') keyId: string, @Query() q: UsageQueryDto) {
    const granularity = q.granularity ?? 'hour';
    const to = toDate('to', q.to) ?? new Date();
    const from = toDate('from', q.from) ?? new Date(to.getTime() - (granularity === 'hour' ? 24 * 3600_000 : 30 * 86_400_000));
    if (from >= to) throw validationFailed([{ field: 'from', message: 'must be before to' }]);
    const maxSpan = granularity === 'hour' ? 31 * 86_400_000 : 366 * 86_400_000;
    if (to.getTime() - from.getTime() > maxSpan) {
      throw validationFailed([{ field: 'from', message: `must be at most ${granularity === 'hour' ? '31 days' : '366 days'} before to for granularity=${granularity}` }]);
    }
    return { keyId, granularity, from: from.toISOString(), to: to.toISOString(), data: await this.keys.usage(keyId, from, to, granularity) };
  }
}

