/** The qemu engine's entry point (registered in `engines/index.ts`). */
export { QemuEngine, type QemuEngineOptions } from './engine.js';
