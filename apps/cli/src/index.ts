// @myelin/cli as a library: run the CLI in-process, or reuse its config handling.
export { main, buildProgram } from './cli.js';
export { resolveConfig, readConfigFile, presetNames, PRESET_DIRECTORY } from './config/load.js';
export {
  configSchema,
  DEFAULT_CONFIG,
  defaultTransforms,
  type RunConfig,
  type TransformConfig,
} from './config/schema.js';
export { CONFIG_OPTIONS, type ConfigOption } from './config/options.js';
export {
  AUTO,
  listBackends,
  activateBackend,
  selectBackend,
  type ActivatedBackend,
  type BackendStatus,
} from './backends.js';
export { EXIT, UsageError, CliError } from './errors.js';
