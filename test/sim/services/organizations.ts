import { SimError, type Service } from '../types.js';

// placeholder: replaced by the service's real implementation
export const organizations: Service = {
  name: 'organizations',
  protocol: 'json',
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  handle(_ctx, req) {
    throw new SimError('InvalidAction', `${req.operation} is not implemented yet`, 400);
  },
};
