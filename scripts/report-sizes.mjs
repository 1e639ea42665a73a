// Printed by `npm run build`: the rendered template's size with the default configuration, against the budget and
// CloudFormation's limit for the object TemplateURL names (1 MB; deploy sends templates through S3). Fails the build
// when the budget is exceeded.
import { defaultConfig } from '../dist/config/schema.js';
import { ExitCode } from '../dist/errors.js';
import { renderForConfig } from '../dist/engines/render.js';
import { TEMPLATE_URL_OBJECT_LIMIT, TEMPLATE_BUDGET } from '../dist/stack/template.js';

const rendered = await renderForConfig(defaultConfig());
const pct = ((rendered.bytes / TEMPLATE_URL_OBJECT_LIMIT) * 100).toFixed(1);
console.log(
  `rendered template: ${rendered.bytes} bytes (budget ${TEMPLATE_BUDGET}; ${pct}% of TemplateURL's ${TEMPLATE_URL_OBJECT_LIMIT}), version ${rendered.version}`,
);
if (rendered.bytes > TEMPLATE_BUDGET) {
  console.error(`the rendered template exceeds its ${TEMPLATE_BUDGET}-byte budget`);
  process.exit(ExitCode.failed);
}
