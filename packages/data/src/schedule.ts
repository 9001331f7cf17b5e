/**
 * Resolves on a later turn of the event loop (not a microtask), so work scheduled with it runs
 * while the consumer awaits something else, e.g. a GPU read-back. setImmediate in Node, a
 * MessageChannel in browsers; setTimeout(0) would add a millisecond per batch.
 */
type Scheduler = (callback: () => void) => void;

function pickScheduler(): Scheduler {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') return (callback) => void immediate(callback);
  const Channel = (
    globalThis as unknown as {
      MessageChannel?: new () => {
        port1: { onmessage: (() => void) | null };
        port2: { postMessage(value: unknown): void };
      };
    }
  ).MessageChannel;
  if (typeof Channel === 'function') {
    const queue: (() => void)[] = [];
    const channel = new Channel();
    channel.port1.onmessage = () => queue.shift()?.();
    return (callback) => {
      queue.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback) => void setTimeout(callback, 0);
}

export const scheduleMacrotask: Scheduler = pickScheduler();
