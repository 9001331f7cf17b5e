// `pnpm bench:rnn`: recurrent token classifiers trained on Myelin's native CPU backend against
// the same models in PyTorch CPU, in the same run (sequence-bench.ts).
//
// tokens -> Embedding(1000, 64) -> LSTM or GRU (batchFirst, 256 hidden) -> the last layer's final
// hidden state -> Linear(256, 10), cross-entropy, Adam. `--profile` prints where Myelin's step
// spends its time, per backend kernel. `--quick` runs fewer rounds; `--only LSTM|LSTM2|GRU` one row.
import { Embedding, GRU, LSTM, Linear, Module, reshape, slice, type Tensor } from '@myelin/core';
import { CLASSES, VOCAB, compareWithTorch, type SequenceSize } from './sequence-bench.js';

const SIZES: SequenceSize[] = [
  { id: 'LSTM', model: 'lstm', batch: 32, seq: 50, embed: 64, hidden: 256, layers: 1, steps: 6, title: '' },
  { id: 'LSTM2', model: 'lstm', batch: 64, seq: 35, embed: 128, hidden: 128, layers: 2, steps: 6, title: '' },
  { id: 'GRU', model: 'gru', batch: 32, seq: 50, embed: 64, hidden: 256, layers: 1, steps: 6, title: '' },
].map((size) => ({
  ...size,
  title: `${size.model === 'lstm' ? 'LSTM' : 'GRU'} ${size.layers} layer${size.layers > 1 ? 's' : ''}, batch ${size.batch}, seq ${size.seq}, embedding ${size.embed}, hidden ${size.hidden}`,
}));

/** tokens [batch, seq] -> embedding -> recurrent layers -> the last layer's h_n -> linear (PyTorch's names). */
class Classifier extends Module {
  readonly embedding: Embedding;
  readonly rnn: LSTM | GRU;
  readonly head: Linear;

  constructor(size: SequenceSize) {
    super();
    const [embed, hidden, layers] = [size.embed as number, size.hidden as number, size.layers as number];
    this.embedding = this.registerModule('embedding', new Embedding(VOCAB, embed));
    const options = { numLayers: layers, batchFirst: true };
    this.rnn = this.registerModule(
      'rnn',
      size.model === 'lstm' ? new LSTM(embed, hidden, options) : new GRU(embed, hidden, options),
    );
    this.head = this.registerModule('head', new Linear(hidden, CLASSES));
  }

  forward(tokens: Tensor): Tensor {
    const { state } = this.rnn.forwardWithState(this.embedding.forward(tokens));
    const hN = state.h;
    const [layers, batch, hidden] = hN.shape as [number, number, number];
    return this.head.forward(reshape(slice(hN, [layers - 1], [1]), [batch, hidden]));
  }
}

await compareWithTorch('bench:rnn', SIZES, (size) => new Classifier(size));
