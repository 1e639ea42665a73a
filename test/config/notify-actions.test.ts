// The contract between the CLI and the function on notifications.on: the configuration accepts exactly the decisions
// the function writes. The two are built apart (the function is bundled on its own), so each keeps its list; this
// test fails when one gains a decision the other does not know.
import { expect, it } from 'vitest';
import { ACTIONS } from '../../lambda-bundle/src/config.js';
import { NOTIFY_ACTIONS } from '../../src/config/schema.js';

it('notifications.on names exactly the decisions the function makes', () => {
  expect([...NOTIFY_ACTIONS].sort()).toEqual([...ACTIONS].sort());
});
