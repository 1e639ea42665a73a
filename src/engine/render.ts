// The template for a configuration: the policy and trail settings that become the template's parameter defaults.
import type { GuardrailConfig } from '../config/index.js';
import { loadFunctionCode, loadTemplateSource, renderTemplate, type RenderedTemplate, type TemplateSettings } from '../stack/template.js';

export function templateSettings(config: GuardrailConfig): TemplateSettings {
  return {
    ...config.policy,
    notificationEmail: config.notifications.email,
    notificationTopicArn: config.notifications.topicArn,
    createTrail: config.trail.mode === 'create',
    homeRegion: config.trail.homeRegion,
    trailRetentionDays: config.trail.retentionDays,
  };
}

export async function renderForConfig(config: GuardrailConfig): Promise<RenderedTemplate> {
  const [source, code] = await Promise.all([loadTemplateSource(), loadFunctionCode()]);
  return renderTemplate(source, code, templateSettings(config));
}
