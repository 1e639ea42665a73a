// NO_COLOR on a real terminal: no escape code at all reaches it, the live spinner included (it moves the cursor and
// hides it with escape codes, so with NO_COLOR there is none: one plain line per target, as when piped). Without
// NO_COLOR the same run on the same terminal does write them, which shows this test can tell.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from './harness.js';
import { runInTerminal } from './terminal.js';

const ESC = '\u001b';

describe('NO_COLOR on a terminal, and the credential notice', () => {
  let e: E2E;

  beforeAll(async () => {
    e = await startE2E({ accounts: 1, regions: ['us-east-1'], stackMs: 40 });
    e.config('regions: [us-east-1]\ndeploy:\n  pollSeconds: 1\n');
    const deploy = await e.run(['deploy', '--all-accounts', '--yes']);
    expect(deploy.code, deploy.stderr).toBe(0);
  });

  afterAll(async () => {
    await e?.close();
  });

  it('NO_COLOR=1: status writes no escape code, and still its matrix and summary', async () => {
    const r = await runInTerminal(e, ['status', '--no-drift'], null, 60_000, { columns: 120, env: { NO_COLOR: '1' } });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/status: 2 targets · 2 healthy/);
    expect(r.raw.includes(ESC), JSON.stringify(r.raw.slice(0, 400))).toBe(false);
  });

  it("AWS_PROFILE and AWS_ACCESS_KEY_ID both set: guardrail's one note, not the SDK's twelve-line warning before its hint", async () => {
    const r = await e.run(['status', '--no-drift'], { env: { AWS_PROFILE: 'nope' } });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain('Multiple credential sources detected');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      'note: the profile "nope" and AWS_ACCESS_KEY_ID are both set: guardrail uses the profile, as the AWS SDK does;' +
        ' unset one of them to be sure whose credentials it uses',
    );
    expect(r.stderr).toMatch(/profile "nope"/);
  });

  it('without NO_COLOR, the same terminal gets colour and the spinner (the control)', async () => {
    const r = await runInTerminal(e, ['status', '--no-drift'], null, 60_000, { columns: 120, env: { NO_COLOR: '' } });
    expect(r.code, r.output).toBe(0);
    expect(r.raw.includes(ESC)).toBe(true);
  });
});
