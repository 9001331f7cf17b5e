// The learning rate a run trains at when neither a flag, the config file nor a preset gives one:
// PyTorch's torch.optim default for the optimizer (torch 1.13), so `--optimizer adadelta` trains
// at Adadelta's 1.0 rather than at a rate made for Adam. Two exceptions keep the CLI's documented
// 0.002: SGD, which has no default in PyTorch (lr is required), and Adam/AdamW, whose 1e-3 the CLI
// has always replaced by 2e-3 (presets and docs rely on it).

/** The CLI's own default, for the optimizers where it differs from PyTorch's or PyTorch has none. */
const CLI_DEFAULT_LR = 2e-3;

/** Default learning rate per optimizer type (lower-case, as core's optimizerFromConfig matches them). */
export const DEFAULT_LEARNING_RATES: Readonly<Record<string, number>> = {
  sgd: CLI_DEFAULT_LR, // PyTorch: required
  adam: CLI_DEFAULT_LR, // PyTorch: 1e-3
  adamw: CLI_DEFAULT_LR, // PyTorch: 1e-3
  rmsprop: 1e-2,
  adagrad: 1e-2,
  adadelta: 1.0,
  adamax: 2e-3,
  nadam: 2e-3,
  radam: 1e-3,
  rprop: 1e-2,
  asgd: 1e-2,
};

/** The default learning rate of an optimizer type (any case), or undefined for a type core does not know. */
export function defaultLearningRate(type: string): number | undefined {
  return Object.hasOwn(DEFAULT_LEARNING_RATES, type.toLowerCase())
    ? DEFAULT_LEARNING_RATES[type.toLowerCase()]
    : undefined;
}

/** The table in words, for --help: 'sgd, adam, adamw, adamax, nadam 0.002; rmsprop, adagrad, rprop, asgd 0.01; adadelta 1; radam 0.001'. */
export function describeDefaultLearningRates(): string {
  const byRate = new Map<number, string[]>();
  for (const [type, lr] of Object.entries(DEFAULT_LEARNING_RATES)) byRate.set(lr, [...(byRate.get(lr) ?? []), type]);
  return [...byRate].map(([lr, types]) => `${types.join(', ')} ${lr}`).join('; ');
}
