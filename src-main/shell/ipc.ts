/**
 * The IPC side of the typed API: one `ipcMain.handle('vfab:<method>')` per METHODS entry, each
 * answering only our renderer's frame, and every service event forwarded to the window on
 * `vfab:event`. Parameters are validated by the service (contract.parseParams), not here.
 *
 * Replies are an envelope, never a rejection: Electron flattens a rejected `invoke` to the
 * string "Error invoking remote method …", losing the error code the UI needs; the preload
 * turns `{ ok: false, error }` back into a rejection with `{ code, message }`.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from './electron';
import { METHODS } from '../api/contract';
import type { ApiService } from '../api/service';
import { ERROR_CODES, type ErrorCode } from '../errors';
import { EVENT_CHANNEL, METHOD_CHANNEL_PREFIX } from '../shared/api-names';

export interface IpcFailure {
  code: ErrorCode;
  message: string;
}
export type IpcReply = { ok: true; result: unknown } | { ok: false; error: IpcFailure };

export interface IpcOptions {
  /** True for the URL of our renderer document (renderer.ts `isRendererUrl`). */
  isTrustedUrl(url: string): boolean;
  /** The webContents that receive events: the live windows' renderers. */
  eventTargets(): WebContents[];
}

/** Any error as the `{ code, message }` the renderer sees: ApiError/VfabError keep their code. */
export function toIpcFailure(err: unknown): IpcFailure {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(ERROR_CODES, code))
      return { code: code as ErrorCode, message: err.message };
    return { code: 'INTERNAL', message: err.message };
  }
  return { code: 'INTERNAL', message: String(err) };
}

/** The frame that sent the request, or null when it is gone (navigated, destroyed). */
function senderUrl(event: IpcMainInvokeEvent): string | null {
  try {
    return event.senderFrame?.url ?? null;
  } catch {
    // Accessing a disposed frame throws in Electron.
    return null;
  }
}

/** Registers the handlers and the event forwarding; returns the function that removes both. */
export function registerIpc(service: ApiService, opts: IpcOptions): () => void {
  const channels = Object.keys(METHODS).map((method) => {
    const channel = `${METHOD_CHANNEL_PREFIX}${method}`;
    ipcMain.handle(channel, async (event, params: unknown): Promise<IpcReply> => {
      const url = senderUrl(event);
      if (url === null || !opts.isTrustedUrl(url)) {
        return {
          ok: false,
          error: {
            code: 'INVALID_INPUT',
            message: `${method}: refused, the request did not come from the vfab window.`,
          },
        };
      }
      try {
        return { ok: true, result: await service.call(method, params) };
      } catch (err) {
        // The service has logged unexpected failures in full; the renderer gets code and message.
        return { ok: false, error: toIpcFailure(err) };
      }
    });
    return channel;
  });

  const unsubscribe = service.onEvent((name, payload) => {
    for (const contents of opts.eventTargets()) {
      if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, name, payload);
    }
  });

  return () => {
    unsubscribe();
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}
