/** The engines hcsd can run with, by name (`hcsd --engine sim|qemu`). */
import { ENGINE_NAMES, type Engine, type EngineName, type Logger } from '../engine.js';
import { SimEngine } from './sim/engine.js';

export interface EngineOptions {
  readonly logger: Logger;
  /** hcsd's state directory (per-VM files of engines that keep any). */
  readonly stateDir: string;
}

export function isEngineName(name: unknown): name is EngineName {
  return typeof name === 'string' && (ENGINE_NAMES as readonly string[]).includes(name);
}

export async function createEngine(name: EngineName, options: EngineOptions): Promise<Engine> {
  switch (name) {
    case 'sim':
      return new SimEngine(options.logger);
    case 'qemu': {
      // Loaded only when asked for: a sim daemon never loads the QEMU code.
      const { QemuEngine } = await import('./qemu/index.js');
      return new QemuEngine({ logger: options.logger, stateDir: options.stateDir });
    }
  }
}
