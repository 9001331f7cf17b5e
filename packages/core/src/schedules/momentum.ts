import { ArgumentError } from '../errors.js';

type Group = Record<string, unknown>;

/** Where a group keeps its momentum: 'momentum' (SGD, RMSprop) or 'betas' (Adam's first beta). */
export function momentumOf(group: Group, where: string): 'momentum' | 'betas' {
  if (Array.isArray(group.betas) && group.betas.length === 2) return 'betas';
  if (typeof group.momentum === 'number') return 'momentum';
  throw new ArgumentError(
    `${where}: cycleMomentum needs an optimizer with momentum or betas (SGD, RMSprop, Adam, AdamW, Adamax, NAdam; not Adagrad or Adadelta); pass cycleMomentum: false`,
  );
}

/** Sets a group's momentum, or its first beta (as PyTorch's schedules do for Adam: use_beta1). */
export function setMomentum(group: Group, momentum: number, where: string): void {
  if (momentumOf(group, where) === 'betas') {
    const betas = group.betas as readonly [number, number];
    group.betas = [momentum, betas[1]];
  } else group.momentum = momentum;
}
