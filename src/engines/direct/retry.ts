// Where the direct engine's stack is in each target, for retry: the configuration's stack name, in every target.
import type { StackPlaces } from '../retry.js';

export const directPlaces: StackPlaces = {
  engine: 'direct',
  async locate(fleet) {
    await fleet.open();
    return { stacks: fleet.targets.map((target) => ({ target, stackName: fleet.input.config.stackName })), notes: [] };
  },
};
