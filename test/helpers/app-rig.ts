/**
 * Per test of the app in a browser: a fresh sandbox (config.yaml with the camera off unless the
 * test asks otherwise), `vfab serve` processes with an API socket each, Chromium, and whatever
 * else the test starts (plotter, camera), all stopped after the test in reverse order.
 *
 *   const rig = useAppRig();
 *   const { served, api } = await rig.serve();
 *   const app = await openApp(await rig.browser(), served.url);
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, beforeEach } from 'vitest';
import { openApiSocket, wsUrl, type ApiSocket } from './api-socket';
import { launchChromium } from './app-browser';
import { sandbox, type Sandbox } from './cli';
import { startServe, type ServeProcess } from './serve-process';

export interface AppRig {
  sb: Sandbox;
  /** Replaces config.yaml. */
  config(yaml: string): void;
  serve(timeoutMs?: number): Promise<{ served: ServeProcess; api: ApiSocket }>;
  /** One Chromium per test, launched at the first call. */
  browser(): Promise<Browser>;
  /** Stops something the test started, after the test. */
  defer(stop: () => unknown): void;
}

/** `config: null` leaves the sandbox without config.yaml (first run). */
export function useAppRig(opts: { config?: string | null } = {}): AppRig {
  const stops: (() => unknown)[] = [];
  let browser: Promise<Browser> | undefined;
  const rig: AppRig = {
    sb: undefined as unknown as Sandbox,
    config(yaml) {
      fs.mkdirSync(path.dirname(rig.sb.configFile), { recursive: true });
      fs.writeFileSync(rig.sb.configFile, yaml);
    },
    async serve(timeoutMs) {
      const served = await startServe(rig.sb, timeoutMs);
      stops.push(() => served.kill());
      const api = await openApiSocket(wsUrl(served.origin, served.token), served.origin);
      stops.push(() => api.close());
      return { served, api };
    },
    browser() {
      if (!browser) {
        browser = launchChromium();
        const launched = browser;
        stops.push(async () => (await launched).close());
      }
      return browser;
    },
    defer: (stop) => void stops.push(stop),
  };
  beforeEach(() => {
    rig.sb = sandbox();
    browser = undefined;
    if (opts.config !== null) rig.config(opts.config ?? 'camera:\n  enabled: false\n');
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    rig.sb.cleanup();
  });
  return rig;
}
