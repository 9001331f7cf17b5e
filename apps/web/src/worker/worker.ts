// The training worker: one backend for its lifetime (see load-backend.ts), one task per demo.
// Requests come as { id, method, argument } and are answered in order of completion; training
// progress is sent as events between answers.
import { startBackend } from './load-backend.js';
import { exportModel, importModel } from './checkpoint-io.js';
import type { DemoTask } from './demo-task.js';
import { DigitsTask } from './digits-task.js';
import { FunctionTask } from './function-task.js';
import { PlaygroundTask } from './playground-task.js';
import type { AssetUrls, DemoName, FromWorker, Method, Request, WorkerApi, WorkerEvent } from './protocol.js';
import { benchmark } from './benchmark.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<Request>) => void) | null;
}
const scope = self as unknown as WorkerScope;

const emit = (event: WorkerEvent, transfer: Transferable[] = []): void => scope.postMessage(event, transfer);
let assets: AssetUrls | null = null;
const playground = new PlaygroundTask(emit);
const digits = new DigitsTask(emit, () => assets);
const functionTask = new FunctionTask(emit);
const tasks: Record<DemoName, DemoTask> = { playground, digits, function: functionTask };

type Handlers = { [M in Method]: (argument: WorkerApi[M][0]) => Promise<WorkerApi[M][1]> };

const handlers: Handlers = {
  async start({ backend, assets: urls, featureLevel }) {
    assets = urls;
    return startBackend(backend, urls, featureLevel);
  },
  async 'playground.setup'({ config, data, gridSize }) {
    const { grid } = await playground.setup(config, data, gridSize);
    return { ...playground.describe(), grid };
  },
  async 'digits.setup'({ config }) {
    return digits.setup(config);
  },
  async 'function.setup'({ config, plotRange, points }) {
    return functionTask.setup(config, plotRange, points);
  },
  async run({ demo, epochs }) {
    const session = tasks[demo].session;
    if (!session) throw new Error(`${demo}: nothing to train yet`);
    emit({ kind: 'status', demo, status: 'running', epoch: session.epoch });
    try {
      const result = await session.run(epochs);
      emit({ kind: 'status', demo, status: result.status, epoch: result.epoch });
      return result;
    } catch (error) {
      session.status = 'failed';
      emit({ kind: 'status', demo, status: 'failed', epoch: session.epoch, message: (error as Error).message });
      throw error;
    }
  },
  async pause({ demo }) {
    tasks[demo].session?.pause();
  },
  async 'digits.predict'({ pixels }) {
    return digits.predictOne(pixels);
  },
  async 'digits.confusion'() {
    return digits.confusion();
  },
  async 'digits.sample'({ index }) {
    return digits.sample(index);
  },
  async 'model.export'({ demo, ui }) {
    await tasks[demo].session?.stop();
    return exportModel(tasks[demo], ui);
  },
  async 'model.import'({ demo, files }) {
    const task = tasks[demo];
    return importModel(task, files, task.current?.optimizerConfig ?? { type: 'adam', lr: 0.01 });
  },
  async benchmark({ batchSize, epochs }) {
    return benchmark(() => assets, batchSize, epochs);
  },
};

scope.onmessage = (event) => {
  const { id, method, argument } = event.data;
  const handler = handlers[method] as (argument: unknown) => Promise<unknown>;
  handler(argument).then(
    (result) => scope.postMessage({ kind: 'result', id, result }, transferablesOf(result)),
    (error: Error) =>
      scope.postMessage({
        kind: 'error',
        id,
        error: { name: error?.name ?? 'Error', message: error?.message ?? String(error) },
      }),
  );
};

/** The buffers of typed arrays in a result, moved rather than copied. */
function transferablesOf(result: unknown): Transferable[] {
  if (result === null || typeof result !== 'object') return [];
  const buffers: Transferable[] = [];
  for (const value of Object.values(result)) {
    if (
      ArrayBuffer.isView(value) &&
      value.buffer instanceof ArrayBuffer &&
      value.byteLength === value.buffer.byteLength
    )
      buffers.push(value.buffer);
  }
  return buffers;
}
