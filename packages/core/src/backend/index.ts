// '@myelin/core/backend': everything a backend package needs and nothing more: the contract,
// the registry, the descriptor, the errors and the shape helpers. Importing it does not load
// tensors, autograd, nn, optimizers, training or checkpoints.
export * from './contract.js';
export * from './registry.js';
export * from './descriptor.js';
export * from './packages.js';
export * from './dtypes.js';
export * from './native-codes.js';
export * from './native-handles.js';
export * from '../errors.js';
export { broadcastShapes, reducedShape, shapesEqual, sizeOf, stridesOf } from '../tensor/shape.js';
