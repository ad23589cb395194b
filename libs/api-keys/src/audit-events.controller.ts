import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService, RequireScope, toDate, validationFailed } from '@hub/core';
import { API_KEY_BAD_REQUEST, ApiKeyResponses } from './api-key-responses.decorator';
import { AuditEventListDto } from './dto/key-response.dto';
import { AuditQueryDto } from './dto/key.dto';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

@ApiTags('Audit')
@ApiKeyResponses()
@ApiBadRequestResponse({
  description:
    'problem+json `validation-failed` naming each bad field in `errors`: a malformed date, `from` not before `to`, a `cursor` not returned by this API, ' +
    `a bad \`limit\`, an unknown parameter; ${API_KEY_BAD_REQUEST}`,
})
@Controller('v1/audit-events')
export class AuditEventsController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequireScope('keys:read')
  @ApiOperation({
    summary: 'The forensic trail',
    description:
      'Key created, patched (scope changes), rotated, revoked; authentication failures aggregated per keyId, address and minute (`count`); vault access. Newest first; page with `cursor`.',
  })
  @ApiOkResponse({ type: AuditEventListDto })
  list(@Query() q: AuditQueryDto) {
    // Event ids are bigint: a longer or larger number is no cursor of ours (and would make Postgres fail).
    if (q.cursor !== undefined && (!/^\d{1,19}$/.test(q.cursor) || BigInt(q.cursor) > MAX_BIGINT)) {
      throw validationFailed([{ field: 'cursor', message: 'is not a cursor returned by this API' }]);
    }
    const from = toDate('from', q.from) ?? undefined;
    const to = toDate('to', q.to) ?? undefined;
    // An empty page would read as "nothing happened": the usage and analytics windows refuse it too (timeWindow).
    if (from && to && from >= to) throw validationFailed([{ field: 'from', message: 'must be before to' }]);
    return this.audit.list({
      keyId: q.keyId,
      action: q.action,
      from,
      to,
      before: q.cursor,
      limit: q.limit,
    });
  }
}
