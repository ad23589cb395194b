import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService, RequireScope, validationFailed } from '@hub/core';
import { ApiKeyResponses } from './api-key-responses.decorator';
import { AuditQueryDto } from './dto/key.dto';

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
    if (q.cursor !== undefined && !/^\d{1,19}$/.test(q.cursor)) throw validationFailed([{ field: 'cursor', message: 'is not a cursor returned by this API' }]);
    return this.audit.list({
      keyId: q.keyId,
      action: q.action,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      before: q.cursor,
      limit: q.limit,
    });
  }
}
