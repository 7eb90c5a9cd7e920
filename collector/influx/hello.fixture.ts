// A guest's hello as the collector decodes it, shared by the encoder's tests.
import type { Hello__Output } from '../../proto/index.js';

export const guestHello = {
  agent_id: 'a1',
  hostname: 'h1',
  group: 'g',
  role: 'guest',
  variant: '',
  environment: { virt: 'kvm', container: 'none', kvm: 'usable' },
} as unknown as Hello__Output;
