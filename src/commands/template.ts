// guardrail template: print the rendered template exactly as deploy sends it, for review or your own linters.
import { REGION_NAMES, isRegionName } from '../config/regions.js';
import { suggest } from '../config/suggest.js';
import { engineFor } from '../engines/index.js';
import { ExitCode, UsageError } from '../errors.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { loadSettings } from './load-settings.js';

export async function execute(context: CommandContext<CommandOptions<'template'>>): Promise<number> {
  const options = context.options;
  const { io } = context;
  // one region, named as the user typed the flag (not the --regions list this is passed on as)
  if (options.region !== undefined && !isRegionName(options.region.trim())) {
    throw new UsageError('Invalid value for --region', {
      problems: [
        {
          path: '--region',
          message: `unknown region "${options.region}"`,
          didYouMean: suggest(options.region, REGION_NAMES),
        },
      ],
    });
  }
  const loaded = await loadSettings(context, options.config, {
    ...(options.region ? { regions: options.region } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
  });
  const { config } = loaded;
  const engine = engineFor(config);
  const rendered = await engine.template(config);
  io.stdout.write(rendered.body.endsWith('\n') ? rendered.body : `${rendered.body}\n`);
  const region = options.region;
  const home = config.trail.homeRegion;
  const trail =
    region === undefined
      ? ''
      : region !== home
        ? `; in ${region} deploy passes CreateTrail=false (the trail lives in the home region ${home})`
        : config.trail.mode === 'auto'
          ? `; in ${region} (home region) deploy passes CreateTrail=true only for accounts without a logging multi-region trail`
          : `; in ${region} (home region) deploy passes CreateTrail=${config.trail.mode === 'create'}`;
  io.stderr.write(
    `${engine.name} engine: template version ${rendered.version}, ${rendered.bytes} bytes (budget 100,000; sent through S3 as TemplateURL, whose limit is 1 MB)${trail}\n`,
  );
  return ExitCode.ok;
}
