export { runConformanceSuite, type ConformanceOptions } from './suite.js';
export { allCases, type InputSpec, type OpCase } from './cases/index.js';
export { compareArrays, expectClose, type Tolerance } from './compare.js';
export { trainMlp, type TrainingRun } from './training.js';
export { expectFusedMatchesComposed, type FusedCheckInput } from './fused-check.js';
export { expectOptimizerTablesReadOnce, type OptimizerTableAddon } from './native-glue.js';
