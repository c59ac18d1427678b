/**
 * The sandboxed preload: exposes exactly `window.vfab = { call, on }` and nothing else — no
 * ipcRenderer, no process, no channel names chosen by the page (Electron security checklist).
 *
 *   call(method, params) → Promise<result>; rejects with { code, message } (code: errors.ts)
 *   on(event, listener)  → unsubscribe function
 *
 * Main checks the sender and validates params again (src-main/shell/ipc.ts); checking the names
 * here keeps a compromised page from even reaching other channels.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
// Bundled into this one file: a sandboxed preload can require only electron and a few built-ins.
import {
  EVENT_CHANNEL,
  EVENT_NAMES,
  METHOD_CHANNEL_PREFIX,
  METHOD_NAMES,
} from '../src-main/shared/api-names';

const methods = new Set<string>(METHOD_NAMES);
const events = new Set<string>(EVENT_NAMES);

type Reply =
  { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** A plain object crosses the context bridge whole; an Error would lose its `code`. */
function failure(
  code: string,
  message: string,
): { name: 'ApiError'; code: string; message: string } {
  return { name: 'ApiError', code, message };
}

async function call(method: unknown, params?: unknown): Promise<unknown> {
  if (typeof method !== 'string' || !methods.has(method)) {
    throw failure(
      'INVALID_INPUT',
      `Unknown method ${typeof method === 'string' ? `'${method.slice(0, 64)}'` : typeof method}.`,
    );
  }
  const reply = (await ipcRenderer.invoke(
    `${METHOD_CHANNEL_PREFIX}${method}`,
    params ?? {},
  )) as Reply;
  if (reply && reply.ok === true) return reply.result;
  if (reply && reply.ok === false) throw failure(reply.error.code, reply.error.message);
  throw failure('INTERNAL', `${method}: no reply from the main process.`);
}

function on(event: unknown, listener: unknown): () => void {
  if (typeof event !== 'string' || !events.has(event))
    throw failure(
      'INVALID_INPUT',
      `Unknown event ${typeof event === 'string' ? `'${event.slice(0, 64)}'` : typeof event}.`,
    );
  if (typeof listener !== 'function')
    throw failure('INVALID_INPUT', `on('${event}'): the listener must be a function.`);
  // One ipcRenderer listener per subscription, filtered by name; the page never sees the IPC event object.
  const relay = (_e: IpcRendererEvent, name: unknown, payload: unknown) => {
    if (name === event) (listener as (payload: unknown) => void)(payload);
  };
  ipcRenderer.on(EVENT_CHANNEL, relay);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    ipcRenderer.removeListener(EVENT_CHANNEL, relay);
  };
}

contextBridge.exposeInMainWorld('vfab', { call, on });
