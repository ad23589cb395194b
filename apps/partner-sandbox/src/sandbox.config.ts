import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { IsUrlWithProtocol } from '@hub/core';

export class SandboxConfig {
  @IsInt()
  @Min(0)
  @Max(65535)
  SANDBOX_PORT = 4010;

  @IsString()
  HOST = '127.0.0.1';

  /** Base URL of the hub's api, where partner webhooks (Razorpay) are delivered. */
  @IsUrlWithProtocol(['http:', 'https:'])
  SANDBOX_HUB_URL = 'http://127.0.0.1:3000';

  /** Public base URL of this sandbox, used in URLs it hands out (image URLs). */
  @IsOptional()
  @IsUrlWithProtocol(['http:', 'https:'])
  SANDBOX_PUBLIC_URL?: string;

  /**
   * Where partners' listings are kept across restarts (JSON, relative to the working directory).
   * `none`: memory only, as in tests (test-env sets it so).
   */
  @IsString()
  SANDBOX_STATE_FILE = '.data/partner-sandbox.json';

  @IsString()
  LOG_LEVEL = 'info';
}
