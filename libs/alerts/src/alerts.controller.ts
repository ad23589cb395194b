import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem, AuthContext, CurrentKey, notFound, ProblemException, RequireScope } from '@hub/core';
import { AlertsService } from './alerts.service';
import { AlertDto, AlertListDto, ListAlertsQuery } from './dto/alert.dto';

@ApiTags('alerts')
@Controller('v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @RequireScope('alerts:read')
  @ApiOperation({ summary: 'List alerts, newest first', description: 'One open alert per kind and subject; an alert resolves by itself when its condition clears.' })
  @ApiOkResponse({ type: AlertListDto })
  async list(@Query() q: ListAlertsQuery): Promise<AlertListDto> {
    return { data: await this.alerts.list(q) };
  }

  @Post(':id/ack')
  @HttpCode(200)
  @RequireScope('alerts:write')
  @ApiOperation({ summary: 'Acknowledge an alert', description: 'Records who saw it; the alert stays open until its condition clears.' })
  @ApiOkResponse({ type: AlertDto })
  @ApiProblem(400, 'validation-failed', '`id` is not a numeric alert id')
  @ApiProblem(404, 'not-found', 'no alert has this `id`')
  async ack(@Param('id') id: string, @CurrentKey() key: AuthContext | undefined): Promise<AlertDto> {
    if (!/^\d{1,18}$/.test(id)) {
      throw new ProblemException(400, 'validation-failed', 'id: must be a numeric alert id', { extensions: { errors: [{ field: 'id', message: 'must be a numeric alert id' }] } });
    }
    const alert = await this.alerts.ack(id, key?.keyId ?? null);
    if (!alert) throw notFound(`Alert ${id}`);
    return alert;
  }
}
