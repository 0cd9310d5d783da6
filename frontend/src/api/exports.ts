/** exports/ endpoints: dataset exports of a project (background jobs, zip download) and imports
 * of masklets from a dataset file onto a video. */
import { apiRequest, apiUrl, listAll } from './client';
import type { Schemas } from './types';

export type DatasetFormat = Schemas['Format'];
export type FormatList = Schemas['FormatListApiOutput'];
export type ExportStatus = 'queued' | 'running' | 'done' | 'failed';
/** The schema types `status` as any string; these are the values the API answers with. */
export type ExportJob = Omit<Schemas['ExportJobOutput'], 'status'> & { status: ExportStatus };
export type ExportRequest = Schemas['ExportJobCreateApiInputRequest'];
export type ImportedMasklet = Schemas['MaskletOutput'];

export function listFormats(signal?: AbortSignal): Promise<FormatList> {
  return apiRequest<FormatList>('exports/formats/', { signal });
}

export function listExports(projectId: number, signal?: AbortSignal): Promise<ExportJob[]> {
  return listAll<ExportJob>(`projects/${projectId}/exports/`, signal);
}

export function createExport(projectId: number, input: ExportRequest): Promise<ExportJob> {
  return apiRequest<ExportJob>(`projects/${projectId}/exports/create/`, { method: 'POST', body: { ...input } });
}

export function getExport(jobId: number, signal?: AbortSignal): Promise<ExportJob> {
  return apiRequest<ExportJob>(`exports/${jobId}/`, { signal });
}

/** Where the browser downloads a finished export's zip (the session cookie authorises it). */
export function exportDownloadUrl(jobId: number): string {
  return apiUrl(`exports/${jobId}/download/`);
}

export function isFinished(job: Pick<ExportJob, 'status'>): boolean {
  return job.status === 'done' || job.status === 'failed';
}

/** Masklets from a dataset file onto a ready video, all or nothing (400 says what is wrong). */
export function importMasklets(
  videoId: number,
  input: { format: string; file: File; sourceVideo?: string },
): Promise<ImportedMasklet[]> {
  const form = new FormData();
  form.append('format', input.format);
  form.append('file', input.file, input.file.name);
  if (input.sourceVideo) form.append('source_video', input.sourceVideo);
  return apiRequest<ImportedMasklet[]>(`videos/${videoId}/imports/`, { method: 'POST', body: form });
}
