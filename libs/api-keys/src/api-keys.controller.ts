import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentOrigin, RequestOrigin, RequireScope, toDate } from '@hub/core';
import { API_KEY_BAD_REQUEST, ApiKeyResponses } from './api-key-responses.decorator';
import { usageWindow } from './timestamp';
import { ApiKeysService, PatchKeyInput } from './api-keys.service';
import { ApiKeyRecordDto, CreatedKeyDto, KeyListDto, KeyUsageDto, RotatedKeyDto } from './dto/key-response.dto';
import { CreateKeyDto, ListKeysQueryDto, PatchKeyDto, RevokeKeyDto, RotateKeyDto, UsageQueryDto } from './dto/key.dto';

/** OpenAPI text of the rule enforced by assertWithinGrant (key-grant.ts). */
const GRANT_RULE =
  ' A key can never mint or control more than it has: the key created, or the key changed, rotated or revoked (as it is and as it becomes), ' +
  "may hold only scopes and channels the calling key holds, a tier at or below the caller's (free < standard < gold < internal), and `limits` " +
  "overrides not above the caller's own effective limits (an `internal` caller may set any). A caller bound to `allowedCidrs` or with an `expiresAt` " +
  'cannot create, widen to or rotate into a key that works from outside its CIDRs or after its own expiry.';
const GRANT_FORBIDDEN =
  'problem+json `insufficient-scope` (the target holds a scope the caller lacks; names `requiredScope`), `channel-not-allowed` (outside the caller\'s channels), ' +
  '`tier-not-allowed` (tier above the caller\'s), `limits-not-allowed` (an override above the caller\'s own limits; names `field`), ' +
  '`cidrs-not-allowed` / `expiry-not-allowed` (works from outside the caller\'s CIDRs or after its expiry; names `field`); and the guard\'s `insufficient-scope`, `ip-not-allowed`';

const BAD_REQUEST =
  'problem+json `validation-failed` naming each bad field in `errors` (body or query: a malformed or past date, a bad CIDR, an unknown field, ' +
  `null for a field that has none, \`from\` not before \`to\`); ${API_KEY_BAD_REQUEST}`;

const KeyNotFound = () => ApiNotFoundResponse({ description: 'problem+json `not-found`: no key has this keyId' });

@ApiTags('API keys')
@ApiKeyResponses()
@ApiBadRequestResponse({ description: BAD_REQUEST })
@Controller('v1/keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('keys:write')
  @ApiOperation({ summary: 'Create an API key', description: 'Returns the full key once, in `key`. Only its HMAC is stored.' + GRANT_RULE })
  @ApiCreatedResponse({ type: CreatedKeyDto })
  @ApiForbiddenResponse({ description: GRANT_FORBIDDEN })
  async create(@Body() dto: CreateKeyDto, @CurrentOrigin() origin: RequestOrigin) {
    const { key, record } = await this.keys.create(
      { ...dto, limits: dto.limits, expiresAt: toDate('expiresAt', dto.expiresAt) ?? null },
      origin,
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
  @KeyNotFound()
  get(@Param('keyId') keyId: string) {
    return this.keys.get(keyId);
  }

  @Patch(':keyId')
  @RequireScope('keys:write')
  @ApiOperation({
    summary: 'Change an API key',
    description:
      'Takes effect on every api instance within a second. `expiresAt` cannot change on a revoked, expired or rotated key (a rotated key expires when its rotation said; revoke it to end it sooner).' +
      GRANT_RULE,
  })
  @ApiOkResponse({ type: ApiKeyRecordDto })
  @ApiForbiddenResponse({ description: GRANT_FORBIDDEN })
  @KeyNotFound()
  @ApiConflictResponse({ description: 'problem+json `key-revoked`, `key-expired`, `key-already-rotated` (expiresAt of such a key; names `field`)' })
  patch(@Param('keyId') keyId: string, @Body() dto: PatchKeyDto, @CurrentOrigin() origin: RequestOrigin) {
    const input: PatchKeyInput = {};
    for (const f of ['name', 'scopes', 'tier', 'limits', 'channels', 'allowedCidrs', 'metadata', 'application'] as const) {
      if (dto[f] !== undefined) (input as Record<string, unknown>)[f] = dto[f];
    }
    if (dto.expiresAt !== undefined) input.expiresAt = toDate('expiresAt', dto.expiresAt);
    return this.keys.patch(keyId, input, origin);
  }

  @Post(':keyId/rotate')
  @HttpCode(201)
  @RequireScope('keys:write')
  @ApiOperation({
    summary: 'Rotate an API key',
    description:
      'Creates a new key (returned once) with the same grant; the old one keeps working for `overlapSeconds` (default 24 h), then expires. ' +
      "The new key keeps the old one's `expiresAt` unless the body gives one (`null`: never expires): rotating a key because it is about to expire needs a new `expiresAt`." +
      GRANT_RULE,
  })
  @ApiBody({ type: RotateKeyDto, required: false, description: 'Optional: without a body, a 24 h overlap and the old key\'s expiresAt' })
  @ApiCreatedResponse({ type: RotatedKeyDto })
  @ApiForbiddenResponse({ description: GRANT_FORBIDDEN })
  @KeyNotFound()
  @ApiConflictResponse({ description: 'problem+json `key-revoked`, `key-expired`, `key-already-rotated`' })
  async rotate(@Param('keyId') keyId: string, @Body() dto: RotateKeyDto, @CurrentOrigin() origin: RequestOrigin) {
    const expiresAt = toDate('expiresAt', dto?.expiresAt);
    const { key, record, previous } = await this.keys.rotate(keyId, dto?.overlapSeconds, origin, expiresAt);
    return { key, ...record, previous };
  }

  @Post(':keyId/revoke')
  @HttpCode(200)
  @RequireScope('keys:write')
  @ApiOperation({ summary: 'Revoke an API key', description: 'Refused on every api instance within a second. `reason` is trimmed and must not be blank. Revoking twice keeps the first reason.' + GRANT_RULE })
  @ApiOkResponse({ type: ApiKeyRecordDto })
  @ApiForbiddenResponse({ description: GRANT_FORBIDDEN })
  @KeyNotFound()
  revoke(@Param('keyId') keyId: string, @Body() dto: RevokeKeyDto, @CurrentOrigin() origin: RequestOrigin) {
    return this.keys.revoke(keyId, dto.reason, origin);
  }

  @Get(':keyId/usage')
  @RequireScope('keys:read', 'analytics:read')
  @ApiOperation({ summary: 'Usage of an API key', description: 'Requests, 4xx, 5xx and latency per UTC hour or day (counts land within about a second).' })
  @ApiOkResponse({ type: KeyUsageDto })
  @KeyNotFound()
  async usage(@Param('keyId') keyId: string, @Query() q: UsageQueryDto) {
    const granularity = q.granularity ?? 'hour';
    const { from, to } = usageWindow(q, granularity);
    return { keyId, granularity, from: from.toISOString(), to: to.toISOString(), data: await this.keys.usage(keyId, from, to, granularity) };
  }
}

