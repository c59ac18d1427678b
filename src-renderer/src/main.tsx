import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { create } from 'zustand';
import type { SystemInfo } from '../../src-main/api/contract';
import { connectApi } from './api';

const api = connectApi();

interface SystemStore {
  info?: SystemInfo;
  error?: string;
  refresh(): void;
}

const useSystem = create<SystemStore>((set) => ({
  refresh: () => {
    api.call('system.info', {}).then(
      (info) => set({ info, error: undefined }),
      (err: Error) => set({ error: err.message }),
    );
  },
}));

function App() {
  const { info, error, refresh } = useSystem();
  useEffect(() => {
    refresh();
    // Counts change with every job transition, wherever it was caused.
    return api.on('job.changed', refresh);
  }, [refresh]);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: '2rem' }}>
      <h1>vfab</h1>
      {error ? (
        <p role="alert">Cannot reach vfab: {error}</p>
      ) : info ? (
        <>
          <p data-testid="version">vfab {info.version}</p>
          <p data-testid="jobs">
            {info.jobs.total} {info.jobs.total === 1 ? 'job' : 'jobs'}
          </p>
        </>
      ) : (
        <p>Connecting…</p>
      )}
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
