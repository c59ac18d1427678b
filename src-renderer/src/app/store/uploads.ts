import { create } from 'zustand';
import { api, errorText } from '../../client';
import { useJobs } from './jobs';

export interface Upload {
  key: number;
  name: string;
  status: 'reading' | 'adding' | 'added' | 'error';
  /** The job it became, once added. */
  jobId?: string;
  /** Where it got: the job's state, or why it failed. */
  message?: string;
}

interface UploadsStore {
  uploads: Upload[];
  addFiles(files: readonly File[]): Promise<void>;
  dismiss(key: number): void;
  clearFinished(): void;
}

let nextKey = 1;

/**
 * Only SVG drawings become jobs (src-main/svg/upload.ts refuses the rest the same way): a photo or
 * a PDF dropped by mistake is refused here, by name, and never becomes a FAILED job.
 */
export function notSvg(file: Pick<File, 'name'>): string | undefined {
  return /\.svg$/i.test(file.name)
    ? undefined
    : `'${file.name}' is not an SVG file: only SVG drawings (.svg) become jobs; nothing was added.`;
}

/** The file's bytes as base64, without the data: URL prefix FileReader puts before them. */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error(`Cannot read ${file.name}.`));
    reader.readAsDataURL(file);
  });
}

export const useUploads = create<UploadsStore>((set) => {
  const update = (key: number, patch: Partial<Upload>) =>
    set((s) => ({ uploads: s.uploads.map((u) => (u.key === key ? { ...u, ...patch } : u)) }));

  async function addOne(file: File, key: number): Promise<void> {
    try {
      const base64 = await readBase64(file);
      update(key, { status: 'adding' });
      const { job, plan } = await api.call('jobs.add', { source: { name: file.name, base64 } });
      if (plan?.error) {
        update(key, { status: 'error', jobId: job.id, message: plan.error });
        useJobs.getState().noteError(job.id, plan.error);
      } else update(key, { status: 'added', jobId: job.id, message: plan ? plan.state : 'added' });
    } catch (err) {
      update(key, { status: 'error', message: errorText(err) });
    }
  }

  return {
    uploads: [],
    async addFiles(files) {
      const batch = files.map((file) => ({ file, key: nextKey++ }));
      set((s) => ({
        uploads: [
          ...s.uploads,
          ...batch.map(({ file, key }): Upload => {
            const refused = notSvg(file);
            return refused
              ? { key, name: file.name, status: 'error', message: refused }
              : { key, name: file.name, status: 'reading' };
          }),
        ],
      }));
      // One after another: the engine plans each in turn anyway, and the order on screen is the order dropped.
      for (const { file, key } of batch) if (!notSvg(file)) await addOne(file, key);
    },
    dismiss: (key) => set((s) => ({ uploads: s.uploads.filter((u) => u.key !== key) })),
    clearFinished: () =>
      set((s) => ({
        uploads: s.uploads.filter((u) => u.status === 'reading' || u.status === 'adding'),
      })),
  };
});
