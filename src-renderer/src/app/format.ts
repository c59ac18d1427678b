/** Words and numbers as the studio reads them from across the room. */

export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function millimetres(mm: number | null | undefined): string {
  if (mm == null || !Number.isFinite(mm)) return '—';
  return mm >= 1000 ? `${(mm / 1000).toFixed(2)} m` : `${Math.round(mm)} mm`;
}

export function timeAgo(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'at an unknown time';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'at an unknown time';
  const s = Math.round((now - t) / 1000);
  const when = new Date(t).toLocaleString();
  if (s < 60) return `just now (${when})`;
  if (s < 3600) return `${Math.round(s / 60)} min ago (${when})`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago (${when})`;
  return `${Math.round(s / 86_400)} days ago (${when})`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
