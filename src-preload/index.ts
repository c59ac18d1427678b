/**
 * The sandboxed preload: exposes exactly the typed API to the renderer and nothing else.
 * Until the typed API lands (the shell issue), only the platform is exposed.
 */
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('vfab', { platform: process.platform });
