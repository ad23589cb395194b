import { Provider } from '@nestjs/common';
import { loadConfig } from './config.loader';

/** A provider that validates `cls` against process.env once, when the module boots. */
export function provideConfig<T extends object>(cls: new () => T): Provider {
  return { provide: cls, useFactory: () => loadConfig(cls) };
}
