// `pnpm bench:transformer`: a Transformer encoder classifier trained on Myelin's native CPU
// backend against the same model in PyTorch CPU, in the same run (sequence-bench.ts).
//
// tokens -> Embedding(1000, d) + learned positions -> TransformerEncoder(N x
// TransformerEncoderLayer(d, heads, ff, dropout 0, batchFirst, relu)) -> mean over the sequence
// -> Linear(d, 10), cross-entropy, Adam. `--profile` prints where Myelin's step spends its
// time, per backend kernel. `--quick` runs fewer rounds; `--only S|M` one size.
import {
  Embedding,
  Linear,
  Module,
  TransformerEncoder,
  TransformerEncoderLayer,
  mean,
  zeros,
  type Tensor,
} from '@myelin/core';
import { CLASSES, VOCAB, compareWithTorch, type SequenceSize } from './sequence-bench.js';

const SIZES: SequenceSize[] = [
  { id: 'S', model: 'transformer', batch: 32, seq: 32, d: 64, heads: 4, ff: 128, layers: 2, steps: 40, title: '' },
  { id: 'M', model: 'transformer', batch: 32, seq: 128, d: 128, heads: 4, ff: 512, layers: 2, steps: 4, title: '' },
].map((size) => ({
  ...size,
  title: `batch ${size.batch}, seq ${size.seq}, d ${size.d}, ${size.heads} heads, ff ${size.ff}, ${size.layers} layers`,
}));

/** tokens [batch, seq] -> embedding + positions -> encoder -> mean over seq -> linear (PyTorch's names). */
class Classifier extends Module {
  readonly embedding: Embedding;
  readonly position: Tensor;
  readonly encoder: TransformerEncoder;
  readonly head: Linear;

  constructor(size: SequenceSize) {
    super();
    const d = size.d as number;
    this.embedding = this.registerModule('embedding', new Embedding(VOCAB, d));
    this.position = this.registerParameter('position', zeros([size.seq, d]));
    const layer = new TransformerEncoderLayer(d, size.heads as number, {
      dimFeedforward: size.ff as number,
      dropout: 0,
      activation: 'relu',
      batchFirst: true,
    });
    this.encoder = this.registerModule('encoder', new TransformerEncoder(layer, size.layers as number));
    this.head = this.registerModule('head', new Linear(d, CLASSES));
  }

  forward(tokens: Tensor): Tensor {
    return this.head.forward(mean(this.encoder.forward(this.embedding.forward(tokens).add(this.position)), 1));
  }
}

await compareWithTorch('bench:transformer', SIZES, (size) => new Classifier(size));
