import {
  Adam,
  Embedding,
  Generator,
  Linear,
  Module,
  Transformer,
  arange,
  concat,
  crossEntropy,
  fromHost,
  generateSquareSubsequentMask,
  noGrad,
  tidy,
  type Tensor,
} from '@myelin/core';
import '@myelin/backend-cpu-reference';

/** Digits per sequence. */
export const LENGTH = 6;
/** Tokens 0-9 are digits; 10 starts every target (the decoder's first input). */
const DIGITS = 10;
const BOS = 10;

/**
 * The encoder-decoder Transformer of "Attention Is All You Need", small: source and target
 * token embeddings plus learned position embeddings, torch.nn.Transformer's layers, and a
 * Linear to the digits. forward(src, tgtIn) gives logits [batch, LENGTH, 10]; the target's
 * causal mask lets position t see only the target tokens before it.
 */
export class Seq2Seq extends Module {
  readonly dModel: number;
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly position: Embedding;
  readonly transformer: Transformer;
  readonly out: Linear;

  constructor(dModel: number, generator: Generator) {
    super();
    this.dModel = dModel;
    this.srcEmbed = this.registerModule('src_embed', new Embedding(DIGITS, dModel, { generator }));
    this.tgtEmbed = this.registerModule('tgt_embed', new Embedding(DIGITS + 1, dModel, { generator }));
    this.position = this.registerModule('position', new Embedding(LENGTH, dModel, { generator }));
    this.transformer = this.registerModule(
      'transformer',
      new Transformer({
        dModel,
        nhead: 4,
        numEncoderLayers: 2,
        numDecoderLayers: 2,
        dimFeedforward: 4 * dModel,
        dropout: 0,
        batchFirst: true,
        generator,
      }),
    );
    this.out = this.registerModule('out', new Linear(dModel, DIGITS, { generator }));
  }

  /** Token embeddings [batch, n, d] plus the positions 0..n-1. */
  #embed(embedding: Embedding, tokens: Tensor): Tensor {
    const n = tokens.shape[1]!;
    return embedding.forward(tokens).add(this.position.forward(arange(n, { dtype: 'int32' })));
  }

  forward(src: Tensor, tgtIn: Tensor): Tensor {
    const n = tgtIn.shape[1]!;
    const decoded = this.transformer.forwardWithMasks(
      this.#embed(this.srcEmbed, src),
      this.#embed(this.tgtEmbed, tgtIn),
      {
        tgtMask: generateSquareSubsequentMask(n),
      },
    );
    return this.out.forward(decoded);
  }
}

/** `count` random digit sequences [count, LENGTH] and their reversals. */
function reversals(count: number, generator: Generator): { src: Int32Array; tgt: Int32Array } {
  const src = new Int32Array(count * LENGTH);
  const tgt = new Int32Array(count * LENGTH);
  const u = generator.uniform(count * LENGTH);
  for (let i = 0; i < count; i++)
    for (let t = 0; t < LENGTH; t++) {
      const digit = Math.floor(u[i * LENGTH + t]! * DIGITS);
      src[i * LENGTH + t] = digit;
      tgt[i * LENGTH + (LENGTH - 1 - t)] = digit;
    }
  return { src, tgt };
}

/** The decoder's input: BOS, then the target without its last token (teacher forcing). */
function shiftRight(tgt: Int32Array, count: number): Int32Array {
  const shifted = new Int32Array(count * LENGTH);
  for (let i = 0; i < count; i++) {
    shifted[i * LENGTH] = BOS;
    shifted.set(tgt.subarray(i * LENGTH, (i + 1) * LENGTH - 1), i * LENGTH + 1);
  }
  return shifted;
}

/** Greedy decoding: start from BOS, append the most likely next digit LENGTH times. */
function greedyDecode(model: Seq2Seq, src: Tensor): Tensor {
  const count = src.shape[0]!;
  return noGrad(() =>
    tidy(() => {
      let tokens = fromHost(new Int32Array(count).fill(BOS), [count, 1], { dtype: 'int32' });
      for (let t = 0; t < LENGTH; t++) {
        const logits = model.forward(src, tokens); // [count, t + 1, 10]
        const next = logits.slice([0, t, 0], [-1, 1, -1]).argmax(2); // [count, 1]
        tokens = concat([tokens, next.cast('int32')], 1);
      }
      return tokens.slice([0, 1], [-1, LENGTH]);
    }),
  );
}

export interface ReversalResult {
  /** Training loss, averaged over each block of 50 steps. */
  losses: number[];
  /** Held-out sequences reversed exactly (all LENGTH digits right), by greedy decoding. */
  sequenceAccuracy: number;
  /** Held-out digits right, by greedy decoding. */
  tokenAccuracy: number;
}

/**
 * Trains Seq2Seq (dModel 32, 4 heads, 2 + 2 layers) to reverse random digit sequences:
 * `steps` Adam steps (lr 0.002) of `batch` fresh sequences with teacher forcing and
 * cross-entropy; then decodes 200 held-out sequences greedily.
 */
export async function learnReversal(options: { steps: number; batch: number; seed: number }): Promise<ReversalResult> {
  const generator = new Generator(options.seed);
  const model = new Seq2Seq(32, generator);
  const optimizer = new Adam(model.parameters(), { lr: 0.002 });
  const losses: number[] = [];
  let block = 0;
  for (let step = 1; step <= options.steps; step++) {
    const { src, tgt } = reversals(options.batch, generator);
    const loss = tidy(() => {
      optimizer.zeroGrad();
      const logits = model.forward(
        fromHost(src, [options.batch, LENGTH], { dtype: 'int32' }),
        fromHost(shiftRight(tgt, options.batch), [options.batch, LENGTH], { dtype: 'int32' }),
      );
      const l = crossEntropy(
        logits.reshape([options.batch * LENGTH, DIGITS]),
        fromHost(tgt, [options.batch * LENGTH], { dtype: 'int32' }),
      );
      l.backward();
      optimizer.step();
      return l.dataSync()[0]!;
    });
    block += loss;
    if (step % 50 === 0 || step === options.steps) {
      losses.push(block / (step % 50 === 0 ? 50 : step % 50));
      block = 0;
    }
  }
  const test = reversals(200, generator);
  const decoded = greedyDecode(model.eval(), fromHost(test.src, [200, LENGTH], { dtype: 'int32' }));
  const predicted = await decoded.data();
  let sequences = 0;
  let digits = 0;
  for (let i = 0; i < 200; i++) {
    let all = true;
    for (let t = 0; t < LENGTH; t++) {
      const right = predicted[i * LENGTH + t] === test.tgt[i * LENGTH + t];
      digits += right ? 1 : 0;
      all &&= right;
    }
    sequences += all ? 1 : 0;
  }
  decoded.dispose();
  optimizer.dispose();
  model.dispose();
  return { losses, sequenceAccuracy: sequences / 200, tokenAccuracy: digits / (200 * LENGTH) };
}
