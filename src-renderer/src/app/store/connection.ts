import { create } from 'zustand';
import type { Connection } from '../../api';
import { api } from '../../client';

interface ConnectionStore {
  state: Connection;
  /** When the link was lost (ms since the epoch), while it is. */
  lostAt?: number;
}

/** The link to vfab as the page's API sees it: every change, at once. */
export const useConnection = create<ConnectionStore>(() => ({ state: api.connection() }));

api.onConnection((state) =>
  useConnection.setState({ state, lostAt: state === 'lost' ? Date.now() : undefined }),
);
