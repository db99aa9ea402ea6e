/**
 * The shared agent suite (./agent/suite.ts) against hcsd's emulated agent: one sim VM for the
 * file. The same suite runs against the real agent in test/qemu/agent.test.ts.
 */

import { emulatedAgent } from './agent/sim.js';
import { agentSuite } from './agent/suite.js';

agentSuite(emulatedAgent());
