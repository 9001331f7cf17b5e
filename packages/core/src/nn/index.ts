export {
  Module,
  type ForwardHook,
  type ForwardPreHook,
  type ModuleConfig,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type ModuleTarget,
} from './module.js';
export {
  moduleFromConfig,
  registerModuleType,
  registeredModuleTypes,
  type ModuleFactory,
  type ModuleFromConfigOptions,
} from './registry.js';
export { Linear, type LinearOptions } from './linear.js';
export {
  LazyModule,
  type MakeLayer,
  type WeightedLayer,
  LazyLinear,
  LazyConv1d,
  LazyConv2d,
  LazyConv3d,
  LazyConvTranspose1d,
  LazyConvTranspose2d,
  LazyConvTranspose3d,
  LazyBatchNorm1d,
  LazyBatchNorm2d,
  LazyBatchNorm3d,
  LazyInstanceNorm1d,
  LazyInstanceNorm2d,
  LazyInstanceNorm3d,
} from './lazy.js';
export {
  mlpConfig,
  mlpLayersOfConfig,
  MLP_ACTIVATIONS,
  type MlpActivation,
  type MlpLayers,
  type MlpConfigOptions,
} from './mlp.js';
export { Sequential } from './sequential.js';
export { ModuleList } from './module-list.js';
export { ModuleDict, ParameterList, ParameterDict, type NamedEntries, type ParameterSpec } from './containers.js';
export {
  MultiheadAttention,
  type MultiheadAttentionOptions,
  type MultiheadAttentionCall,
  type MultiheadAttentionResult,
} from './attention.js';
export {
  TransformerLayer,
  TransformerStack,
  TransformerEncoderLayer,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerDecoder,
  Transformer,
  generateSquareSubsequentMask,
  type TransformerActivation,
  type TransformerLayerOptions,
  type TransformerOptions,
  type TransformerStackOptions,
  type EncoderLayerMasks,
  type DecoderMasks,
  type TransformerMasks,
} from './transformer.js';
export { summary, ModelSummary, type LayerSummary, type SummaryOptions } from './summary.js';
export { Residual } from './residual.js';
export {
  Dropout,
  Dropout1d,
  Dropout2d,
  Dropout3d,
  AlphaDropout,
  FeatureAlphaDropout,
  type DropoutOptions,
  type Dropout2dOptions,
} from './dropout.js';
export { Flatten } from './flatten.js';
export { CosineSimilarity, PairwiseDistance } from './distance.js';
export {
  Conv2d,
  ConvTranspose2d,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  AdaptiveMaxPool2d,
  type Conv2dOptions,
  type ConvTranspose2dOptions,
  type MaxPool2dOptions,
  type AvgPool2dOptions,
} from './conv.js';
export {
  Conv1d,
  ConvTranspose1d,
  MaxPool1d,
  AvgPool1d,
  AdaptiveAvgPool1d,
  type Conv1dOptions,
  type ConvTranspose1dOptions,
  type MaxPool1dOptions,
  type AvgPool1dOptions,
} from './conv1d.js';
export {
  Conv3d,
  ConvTranspose3d,
  MaxPool3d,
  AvgPool3d,
  AdaptiveAvgPool3d,
  AdaptiveMaxPool3d,
  type Conv3dOptions,
  type ConvTranspose3dOptions,
  type MaxPool3dOptions,
  type AvgPool3dOptions,
} from './conv3d.js';
export {
  LPPool1d,
  LPPool2d,
  AdaptiveMaxPool1d,
  FractionalMaxPool2d,
  type LPPoolOptions,
  type FractionalMaxPool2dOptions,
} from './pool-extras.js';
export { MaxUnpool1d, MaxUnpool2d, MaxUnpool3d, type MaxUnpoolOptions } from './unpool.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  GroupNorm,
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  LayerNorm,
  RMSNorm,
  LocalResponseNorm,
  type RMSNormOptions,
  type LocalResponseNormOptions,
  type BatchNormOptions,
  type InstanceNormOptions,
  type GroupNormOptions,
  type LayerNormOptions,
} from './normalization.js';
export {
  Upsample,
  UpsamplingNearest2d,
  UpsamplingBilinear2d,
  PixelShuffle,
  PixelUnshuffle,
  type UpsampleOptions,
  type UpsamplingOptions,
  type SpatialScale,
} from './upsampling.js';
export { Embedding, EmbeddingBag, type EmbeddingOptions, type EmbeddingBagOptions } from './embedding.js';
export { Bilinear, type BilinearOptions } from './bilinear.js';
export {
  ZeroPad1d,
  ZeroPad2d,
  ZeroPad3d,
  ConstantPad1d,
  ConstantPad2d,
  ConstantPad3d,
  ReflectionPad1d,
  ReflectionPad2d,
  ReflectionPad3d,
  ReplicationPad1d,
  ReplicationPad2d,
  ReplicationPad3d,
  type PaddingSize,
} from './padding.js';
export { Fold, Unfold, ChannelShuffle } from './fold.js';
export {
  RNNCellBase,
  RNNCell,
  LSTMCell,
  GRUCell,
  type RNNCellBaseOptions,
  type RNNCellOptions,
  type LSTMCellOptions,
  type GRUCellOptions,
} from './recurrent-cell.js';
export { Unflatten } from './unflatten.js';
export { cnnConfig, type CnnConfigOptions, type CnnLayers } from './cnn.js';
export { Identity } from './identity.js';
export {
  PackedSequence,
  packPaddedSequence,
  padPackedSequence,
  packSequence,
  unpackSequence,
  unpadSequence,
  type PackPaddedSequenceOptions,
  type PadPackedSequenceOptions,
  type PaddedSequence,
} from './packed-sequence.js';
export {
  RNNBase,
  RNN,
  LSTM,
  GRU,
  SelectTimeStep,
  lstmCell,
  gruCell,
  rnnTanhCell,
  rnnReluCell,
  type HiddenCell,
  type RNNBaseOptions,
  type RNNOptions,
  type LSTMOptions,
  type GRUOptions,
  type RNNNonlinearity,
  type HiddenState,
  type LSTMState,
  type RecurrentResult,
  type SelectTimeStepOptions,
  type CellWeights,
  type RecurrentMode,
} from './recurrent.js';
export {
  ReLU,
  LeakyReLU,
  ELU,
  Sigmoid,
  Tanh,
  Softmax,
  LogSoftmax,
  GELU,
  SiLU,
  Mish,
  Softplus,
  Softsign,
  Hardtanh,
  ReLU6,
  SELU,
  Hardsigmoid,
  Hardswish,
  PReLU,
  CELU,
  LogSigmoid,
  Softmin,
  Tanhshrink,
  Softshrink,
  Hardshrink,
  Threshold,
  GLU,
  RReLU,
  Softmax2d,
  type PReLUOptions,
  type RReLUOptions,
} from './activation.js';
export {
  xavierUniform_,
  xavierNormal_,
  kaimingUniform_,
  kaimingNormal_,
  uniform_,
  normal_,
  zeros_,
  ones_,
  constant_,
  truncNormal_,
  orthogonal_,
  sparse_,
  eye_,
  dirac_,
  fanInAndFanOut,
  calculateGain,
  type FanMode,
  type Nonlinearity,
  type RandomInitOptions,
  type XavierOptions,
  type KaimingOptions,
  type SparseOptions,
} from './init.js';
export { parametersToVector, vectorToParameters } from './parameter-vector.js';
export {
  weightNorm,
  removeWeightNorm,
  spectralNorm,
  removeSpectralNorm,
  type WeightNormOptions,
  type SpectralNormOptions,
  type RemoveNormOptions,
} from './weight-norm.js';
export * as parametrize from './parametrize.js';
export * as parametrizations from './parametrizations.js';
