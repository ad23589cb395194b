import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService, RequireScope, toDate, validationFailed } from '@hub/core';
import { ApiKeyResponses } from './api-key-responses.decorator';
import { AuditQueryDto } from './dto/key.dto';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

@ApiTags('Audit')
@ApiKeyResponses()
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
  list(@Query() q: AuditQueryDto) {
    // Event ids are bigint: a longer or larger number is no cursor of ours (and would make Postgres fail).
    if (q.cursor !== undefined && (!/^\d{1,19}$/.test(q.cursor) || BigInt(q.cursor) > MAX_BIGINT)) {
      throw validationFailed([{ field: 'cursor', message: 'is not a cursor returned by this API' }]);
    }
    const from = toDate('from', q.from) ?? undefined;
    const to = toDate('to', q.to) ?? undefined;
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
