import { BackendError } from '@myelin/core/backend';
import type { AdapterAttempt } from './adapter.js';

/**
 * No WebGPU adapter could be had. The message lists every attempt with its reason, then what
 * to install or enable; `attempts` keeps them for reports.
 */
export class WebGpuUnavailableError extends BackendError {
  override name = 'WebGpuUnavailableError';
  constructor(
    readonly attempts: readonly AdapterAttempt[],
    readonly hints: readonly string[],
  ) {
    super(
      [
        'WebGPU is not available: no adapter could be created.',
        'Tried:',
        ...attempts.map((a) => `  - ${a.source}: ${a.detail}`),
        'To fix:',
        ...hints.map((h) => `  - ${h}`),
      ].join('\n'),
    );
  }
}
