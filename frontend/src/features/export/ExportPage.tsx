import { useEffect, useState, type FormEvent } from 'react';
import {
  createExport,
  exportDownloadUrl,
  isFinished,
  listExports,
  listFormats,
  type DatasetFormat,
  type ExportJob,
  type ExportRequest,
} from '../../api/exports';
import { canManage, getProject, listLabels, type Label, type Project } from '../../api/projects';
import { listVideos, type Video } from '../../api/videos';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { ProgressBar } from '../../ui/ProgressBar';
import { formatBytes } from '../projects/format';
import { ProjectSubpage } from './ProjectSubpage';
import '../manage/manage.css';

// How often the history is asked again while an export runs.
const POLL_MS = 1000;

interface ExportData {
  project: Project;
  formats: DatasetFormat[];
  labels: Label[];
  videos: Video[];
}

async function load(projectId: number, signal: AbortSignal): Promise<ExportData> {
  const [project, formats, labels, videos] = await Promise.all([
    getProject(projectId, signal),
    listFormats(signal),
    listLabels(projectId, signal),
    listVideos(projectId, signal),
  ]);
  return { project, formats: formats.export, labels, videos };
}

/** `/projects/:id/export`: start a dataset export (format and filters), follow it, download it. */
export function ExportPage() {
  return (
    <ProjectSubpage title="Export" heading="Export a dataset" load={load}>
      {(data) => <ExportHistory data={data} />}
    </ProjectSubpage>
  );
}

function ExportHistory({ data }: { data: ExportData }) {
  const { project } = data;
  const [jobs, setJobs] = useState<ExportJob[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  const running = jobs?.some((job) => !isFinished(job)) ?? false;

  useEffect(() => {
    const controller = new AbortController();
    const fetchJobs = () =>
      listExports(project.id, controller.signal).then(
        (list) => {
          setJobs(list);
          setError(null);
        },
        (err: unknown) => {
          if (!controller.signal.aborted) setError(err);
        },
      );
    void fetchJobs();
    const timer = running ? window.setInterval(() => void fetchJobs(), POLL_MS) : undefined;
    return () => {
      controller.abort();
      window.clearInterval(timer);
    };
  }, [project.id, running, generation]);

  return (
    <>
      {canManage(project) ? (
        <ExportForm data={data} onStarted={() => setGeneration((g) => g + 1)} />
      ) : (
        <p className="muted">Only the project's managers start exports; you can download finished ones.</p>
      )}
      <section className="card">
        <h2>History</h2>
        {error !== null && <ErrorMessage error={error} />}
        {jobs === null && error === null && <p className="muted">Loading…</p>}
        {jobs !== null && jobs.length === 0 && <p className="muted">No exports yet.</p>}
        {jobs !== null && jobs.length > 0 && (
          <table className="data-table" aria-label="Exports">
            <thead>
              <tr>
                <th>#</th>
                <th>Format</th>
                <th>What</th>
                <th>Started</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <ExportRow key={job.id} job={job} data={data} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function describeFilters(job: ExportJob, data: ExportData): string {
  const names = (ids: number[], items: { id: number; name: string }[]) =>
    ids.map((id) => items.find((i) => i.id === id)?.name ?? `#${id}`).join(', ');
  const parts = [
    job.include_unaccepted ? 'all masklets' : 'accepted masklets',
    job.label_ids.length ? `labels ${names(job.label_ids, data.labels)}` : 'every label',
    job.video_ids.length ? `videos ${names(job.video_ids, data.videos)}` : 'every video',
  ];
  if (job.frame_step > 1) parts.push(`every ${job.frame_step} frames`);
  return parts.join(' · ');
}

function ExportRow({ job, data }: { job: ExportJob; data: ExportData }) {
  const format = data.formats.find((f) => f.value === job.format)?.label ?? job.format;
  return (
    <tr>
      <td>{job.id}</td>
      <td>{format}</td>
      <td className="cell-description">{describeFilters(job, data)}</td>
      <td>
        {new Date(job.created_at).toLocaleString()}
        {job.created_by && <span className="muted"> by {job.created_by.username}</span>}
      </td>
      <td className="progress-cell">
        {job.status === 'done' && <span className="status status-ready">Done · {formatBytes(job.size_bytes)}</span>}
        {job.status === 'failed' && (
          <span className="status status-failed" title={job.error}>
            Failed: {job.error || 'no reason given'}
          </span>
        )}
        {(job.status === 'queued' || job.status === 'running') && (
          <>
            <ProgressBar value={job.progress} label={`Export ${job.id} progress`} />
            <span className="hint">{job.status === 'queued' ? 'Waiting for a worker…' : 'Writing…'}</span>
          </>
        )}
      </td>
      <td>
        {job.status === 'done' && (
          <a className="button-link" href={exportDownloadUrl(job.id)} download>
            Download
          </a>
        )}
      </td>
    </tr>
  );
}

function ExportForm({ data, onStarted }: { data: ExportData; onStarted: () => void }) {
  const { project, formats, labels, videos } = data;
  const [format, setFormat] = useState(formats[0]?.value ?? '');
  const [includeUnaccepted, setIncludeUnaccepted] = useState(false);
  const [labelIds, setLabelIds] = useState<number[]>([]);
  const [videoIds, setVideoIds] = useState<number[]>([]);
  const [frameStep, setFrameStep] = useState(String(project.frame_step));
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const toggle = (list: number[], id: number) => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSaving(true);
    try {
      await createExport(project.id, {
        // The picker lists the API's own formats (exports/formats/).
        format: format as ExportRequest['format'],
        include_unaccepted: includeUnaccepted,
        label_ids: labelIds,
        video_ids: videoIds,
        frame_step: Number(frameStep) || 1,
      });
      onStarted();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-label="New export">
      <h2>New export</h2>
      <label>
        Format
        <select value={format} onChange={(e) => setFormat(e.target.value)}>
          {formats.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Every Nth frame
        <input type="number" min={1} value={frameStep} onChange={(e) => setFrameStep(e.target.value)} />
      </label>
      <label className="inline">
        <input type="checkbox" checked={includeUnaccepted} onChange={(e) => setIncludeUnaccepted(e.target.checked)} />
        Include masklets not yet accepted (drafts and those in review)
      </label>
      <fieldset className="choice-row">
        <legend>Labels (none ticked: every label)</legend>
        {labels.map((l) => (
          <label key={l.id} className="inline">
            <input
              type="checkbox"
              checked={labelIds.includes(l.id)}
              onChange={() => setLabelIds(toggle(labelIds, l.id))}
            />
            <span className="swatch" style={{ backgroundColor: l.color }} aria-hidden="true" />
            {l.name}
          </label>
        ))}
      </fieldset>
      <fieldset className="choice-row">
        <legend>Videos (none ticked: every video)</legend>
        {videos.map((v) => (
          <label key={v.id} className="inline">
            <input
              type="checkbox"
              checked={videoIds.includes(v.id)}
              onChange={() => setVideoIds(toggle(videoIds, v.id))}
            />
            {v.name}
          </label>
        ))}
      </fieldset>
      {error !== null && <ErrorMessage error={error} />}
      <div className="form-actions">
        <button type="submit" disabled={saving || format === ''}>
          {saving ? 'Starting…' : 'Start export'}
        </button>
      </div>
    </form>
  );
}
