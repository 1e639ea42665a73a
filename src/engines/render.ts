// The template for a configuration: the policy and trail settings that become the template's parameter defaults.
import type { GuardrailConfig } from '../config/index.js';
import { storeNeeded, storePlace, sweepSchedule } from '../approvals/place.js';
import {
  loadFunctionCode,
  loadTemplateSource,
  renderTemplate,
  type RenderedTemplate,
  type TemplateSettings,
} from '../stack/template.js';

/**
 * `callerAccount` is where the approval store lives when approvals.account is unset (deploy and status pass the
 * caller's account; `guardrail template` has none and renders the store's ARN only when approvals.account is set).
 */
export function templateSettings(config: GuardrailConfig, callerAccount?: string): TemplateSettings {
  const a = config.approvals;
  const account = a.account ?? callerAccount;
  return {
    approvalsTableArn: a.enabled && account ? storePlace(config, account).tableArn : null,
    ruleRecordsTableArn: storeNeeded(config) && account ? storePlace(config, account).rulesTableArn : null,
    onLookupError: a.onLookupError,
    sweepSchedule: sweepSchedule(a.sweepMinutes),
    lookupGraceMinutes: a.lookupErrorGraceMinutes,
    notifyOn: config.notifications.on,
    reservedConcurrency: config.function.reservedConcurrency,
    ...config.policy,
    notificationEmail: config.notifications.email,
    notificationTopicArn: config.notifications.topicArn,
    createTrail: config.trail.mode === 'create',
    homeRegion: config.trail.homeRegion,
    trailRetentionDays: config.trail.retentionDays,
  };
}

export async function renderForConfig(config: GuardrailConfig, callerAccount?: string): Promise<RenderedTemplate> {
  const [source, code] = await Promise.all([loadTemplateSource(), loadFunctionCode()]);
  return renderTemplate(source, code, templateSettings(config, callerAccount));
}
