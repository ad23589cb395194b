import { SetMetadata } from '@nestjs/common';

export const HUB_COMMAND = 'hub:command';

export interface HubCommandMeta {
  /** e.g. `keys:create` */
  name: string;
  /** One line for `hub help`. */
  description: string;
  /** e.g. `--name <name> --scopes all|<scope,...> [--tier internal]` */
  usage?: string;
}

/** What a CLI command class implements; it gets the arguments after its name. */
export interface HubCommandRunner {
  run(args: ParsedArgs): Promise<void>;
}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | true>;
}

/**
 * Marks an injectable as an admin CLI command (`npm run hub -- <name>`). Libs declare commands
 * beside the services they drive; the CLI app discovers them, so adding one touches no registry.
 */
export const HubCommand = (meta: HubCommandMeta) => SetMetadata(HUB_COMMAND, meta);

export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split(/=(.*)/s, 2);
      if (v !== undefined) flags[k] = v;
      else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) flags[k] = argv[++i];
      else flags[k] = true;
    } else positional.push(a);
  }
  return { positional, flags };
}
