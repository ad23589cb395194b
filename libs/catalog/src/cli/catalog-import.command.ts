import { Injectable } from '@nestjs/common';
import { HubCommand, HubCommandRunner, ParsedArgs } from '@hub/core';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CatalogService } from '../catalog.service';

class CommandError extends Error {
  override name = 'CommandError';
}

/** `npm run hub -- catalog:import <file>`: the same validation and publishing as `POST /v1/products`. */
@Injectable()
@HubCommand({
  name: 'catalog:import',
  description: 'Create every product in a JSON file (array, or {"products": [...]}) and publish it',
  usage: '<file.json>   e.g. fixtures/catalog/novaskin-catalog.json',
})
export class CatalogImportCommand implements HubCommandRunner {
  constructor(private readonly catalog: CatalogService) {}

  async run(args: ParsedArgs): Promise<void> {
    const file = args.positional[0];
    if (!file) throw new CommandError('catalog:import needs a file: npm run hub -- catalog:import fixtures/catalog/novaskin-catalog.json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(resolve(file), 'utf8'));
    } catch (err) {
      throw new CommandError(`cannot read ${file}: ${(err as Error).message}`);
    }
    const items = Array.isArray(parsed) ? parsed : (parsed as { products?: unknown })?.products;
    if (!Array.isArray(items)) throw new CommandError(`${file} must hold a JSON array of products or {"products": [...]}`);
    const started = process.hrtime.bigint();
    const report = await this.catalog.importMany(items);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(
      `imported ${file}: ${items.length} products read, ${report.created} created, ${report.duplicates} already existed, ` +
        `${report.invalid.length} invalid; ${report.jobsEnqueued} publish jobs enqueued in ${(ms / 1000).toFixed(2)} s\n`,
    );
    for (const bad of report.invalid.slice(0, 20)) {
      process.stdout.write(`  #${bad.index}${bad.sku ? ` ${bad.sku}` : ''}: ${bad.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}\n`);
    }
    // The CLI exits 1 on a CommandError: a partly invalid file must fail scripts that run it.
    if (report.invalid.length) throw new CommandError(`${report.invalid.length} product(s) were invalid and not imported (listed above)`);
  }
}
