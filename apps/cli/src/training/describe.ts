import path from 'node:path';
import type { ModuleConfig } from '@myelin/core';

/** `Linear(64->128) ReLU Linear(128->10)`: a Sequential config on one line. */
export function describeModel(config: ModuleConfig): string {
  const describe = (layer: ModuleConfig): string => {
    if (layer.type === 'Linear') return `Linear(${layer.inFeatures}->${layer.outFeatures})`;
    if (layer.type === 'Dropout') return `Dropout(${layer.p ?? 0.5})`;
    if (['Conv1d', 'Conv2d', 'Conv3d'].includes(layer.type))
      return `${layer.type}(${layer.inChannels}->${layer.outChannels}, ${String(layer.kernelSize)})`;
    if (['MaxPool1d', 'AvgPool1d', 'MaxPool2d', 'AvgPool2d', 'MaxPool3d', 'AvgPool3d'].includes(layer.type))
      return `${layer.type}(${String(layer.kernelSize)})`;
    if (layer.type === 'LSTM' || layer.type === 'GRU' || layer.type === 'RNN') {
      const layers = typeof layer.numLayers === 'number' && layer.numLayers > 1 ? `, ${layer.numLayers} layers` : '';
      const both = layer.bidirectional === true ? ', bidirectional' : '';
      return `${layer.type}(${layer.inputSize}->${layer.hiddenSize}${layers}${both})`;
    }
    if (layer.type === 'TransformerEncoderLayer' || layer.type === 'TransformerDecoderLayer')
      return `${layer.type}(${layer.dModel}, ${layer.nhead} heads${layer.normFirst === true ? ', pre-norm' : ''})`;
    if (layer.type === 'TransformerEncoder' || layer.type === 'TransformerDecoder') {
      const inner = (layer.encoderLayer ?? layer.decoderLayer) as ModuleConfig;
      return `${layer.type}(${layer.numLayers} x ${describe(inner)})`;
    }
    if (layer.type === 'MultiheadAttention') return `MultiheadAttention(${layer.embedDim}, ${layer.numHeads} heads)`;
    if (layer.type === 'Sequential') return (layer.modules as ModuleConfig[]).map(describe).join(' ');
    return String(layer.type);
  };
  return describe(config);
}

export function describeOptions(options: Record<string, unknown>): string {
  const { type, ...rest } = options;
  const parts = Object.entries(rest).map(
    ([key, value]) => `${key} ${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}`,
  );
  return [String(type), ...parts].join(' ');
}

/** A path as the user would type it from here: relative when it is below the working directory. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** How the user started the CLI, for "resume with ..." hints: `pnpm myelin` from the repository's scripts, else `myelin`. */
export function commandPrefix(): string {
  const event = process.env.npm_lifecycle_event;
  return event === 'myelin' || event === 'train' ? 'pnpm myelin' : 'myelin';
}

/** Rows of cells as aligned columns. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows
    .map(
      (row) =>
        `${indent}${row
          .map((cell, column) => cell.padEnd(widths[column]!))
          .join('   ')
          .trimEnd()}\n`,
    )
    .join('');
}
