// The one adapter from run events to the progress reporter: every command hands `progressTo(reporter)` to its
// pipeline as `emit`. The reporter never learns which command or engine ran.
import type { RunEvent } from '../fleet/events.js';
import type { Reporter } from './reporter.js';

/** `discovered` says: "<n> account(s) <what>" (to target, to check, to read), with those left out. */
export function progressTo(reporter: Reporter, what: string): (e: RunEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'discovered':
        reporter.note(
          `${e.accounts} account(s)${what ? ` ${what}` : ''}${e.excluded ? `, ${e.excluded} left out` : ''}`,
        );
        break;
      case 'phase':
        reporter.phase(e.phase, e.targets);
        break;
      case 'start':
        reporter.started(e.target);
        break;
      case 'done': {
        const o = e.outcome;
        reporter.finished({
          account: o.account,
          accountName: o.accountName,
          region: o.region,
          result: o.code,
          ...(o.action ? { action: o.action } : {}),
          stackStatus: o.stackStatus ?? null,
          error: o.message,
          durationMs: o.durationMs,
        });
        break;
      }
    }
  };
}
