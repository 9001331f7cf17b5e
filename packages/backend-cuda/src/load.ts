// The opt-in 'tfjs' engine: @tensorflow/tfjs-node-gpu is an optional peer: a server where its
// CUDA 11.2 build runs installs it, everyone else never loads it. It is required lazily, and a failed load becomes one error that names what to do.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Tf } from '@myelin/backend-tfjs';
import { CudaUnavailableError, TFJS_CUDA_REQUIREMENTS } from './errors.js';

export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';

const INSTALL_STEPS = [
  `install CUDA 11.2 and cuDNN 8.1 (the libraries libtensorflow 2.9.1 links against) and put their lib64 directories on LD_LIBRARY_PATH`,
  `pnpm add ${TFJS_NODE_GPU}@4.22.0 (npm i ${TFJS_NODE_GPU}@4.22.0), and let its install script run: pnpm blocks it until approved, so add '${TFJS_NODE_GPU}': true under allowBuilds in pnpm-workspace.yaml (or run pnpm approve-builds) before installing; the script downloads libtensorflow`,
  'check with `pnpm backends` (or probe({ engine: "tfjs" }) from @myelin/backend-cuda)',
];

/** The tfjs engine cannot run here: `reason`, with tfjs-node-gpu's requirements and install steps. */
export function tfjsUnavailable(reason: string): CudaUnavailableError {
  return new CudaUnavailableError(reason, INSTALL_STEPS, { code: 'tfjs', requirements: TFJS_CUDA_REQUIREMENTS });
}

export type RequireFunction = (id: string) => unknown;

/**
 * Resolves from this package first (a peer pnpm linked beside it), then from the working
 * directory (an app that installed the package itself while this one is linked from elsewhere).
 */
const nodeRequire: RequireFunction = (id) => {
  try {
    return createRequire(import.meta.url)(id);
  } catch (error) {
    if (!isMissingPackage(error)) throw error;
    return createRequire(path.join(process.cwd(), 'package.json'))(id);
  }
};

function isMissingPackage(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return (error as { code?: string } | null)?.code === 'MODULE_NOT_FOUND' && message.includes(`'${TFJS_NODE_GPU}'`);
}

/** Turns a failed require of tfjs-node-gpu into the reason a user can act on. */
export function explainLoadFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | null)?.code;
  if (/tfjs_binding\.node/.test(message)) {
    return `${TFJS_NODE_GPU} is installed but its native binding was never built or downloaded (its install script did not run): ${firstLine(message)}`;
  }
  if (isMissingPackage(error) || (code === 'MODULE_NOT_FOUND' && message.includes(TFJS_NODE_GPU))) {
    return `${TFJS_NODE_GPU} is not installed (it is an optional peer dependency of @myelin/backend-cuda)`;
  }
  const library = /(lib[\w+-]+\.so[.\d]*)/.exec(message)?.[1];
  if (library !== undefined) {
    return `${TFJS_NODE_GPU} is installed but its native binding failed to load: ${library} was not found or is the wrong version (${firstLine(message)})`;
  }
  return `${TFJS_NODE_GPU} failed to load: ${firstLine(message)}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** Loads tfjs-node-gpu (its union tfjs namespace, with the 'tensorflow' backend registered). */
export function loadTfjsNodeGpu(requireFunction: RequireFunction = nodeRequire): Tf {
  try {
    return requireFunction(TFJS_NODE_GPU) as Tf;
  } catch (error) {
    throw tfjsUnavailable(explainLoadFailure(error));
  }
}
