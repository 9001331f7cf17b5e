// The last model of each demo, kept in IndexedDB across reloads (as the packed checkpoint the
// page exports). Storage failures (private mode, quota) only cost the convenience.
import type { DemoName, ModelSummary } from '../worker/protocol.js';

const DATABASE = 'myelin-web';
const STORE = 'models';

export interface StoredModel {
  bytes: Uint8Array;
  savedAt: number;
  summary: ModelSummary;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = work(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

export async function saveModel(demo: DemoName, model: StoredModel): Promise<void> {
  try {
    await transact('readwrite', (store) => store.put(model, demo));
  } catch {
    // not fatal: the model is still in the page
  }
}

export async function loadModel(demo: DemoName): Promise<StoredModel | null> {
  try {
    return ((await transact('readonly', (store) => store.get(demo))) as StoredModel | undefined) ?? null;
  } catch {
    return null;
  }
}
