import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@hub/core';
import { DASHBOARD_CSP, DASHBOARD_HTML, DASHBOARD_JS } from './dashboard.page';

/**
 * The operators' page (CONTRACT "Operations"). Public like /docs: the page and its script hold no
 * data; everything it shows is read from the API with the key typed into it, under that key's
 * scopes (alerts:read, vault:read, analytics:read; alerts:write to acknowledge).
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  @Public()
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', DASHBOARD_CSP)
  @Header('referrer-policy', 'no-referrer')
  page(): string {
    return DASHBOARD_HTML;
  }

  @Public()
  @Get('app.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  script(): string {
    return DASHBOARD_JS;
  }
}
