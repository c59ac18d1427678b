import { api } from '../../client';

/**
 * Where this page can show the live view: `vfab serve`'s own relay, same origin, with the page's
 * token (the relay takes it from the query, not the cookie). The desktop window gets no relay
 * address from the API yet, so it has none.
 */
export function relayStreamUrl(): string | undefined {
  if (api.transport !== 'websocket') return undefined;
  const token = new URLSearchParams(location.search).get('token');
  return token ? `/camera/stream.mjpeg?token=${encodeURIComponent(token)}` : undefined;
}
