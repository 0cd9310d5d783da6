import { useCallback, useEffect, useState } from 'react';
import {
  cancelAutomask,
  getAutomaskJob,
  isAutomaskActive,
  listAutomaskJobs,
  startAutomask,
  type AutomaskJob,
  type KeyFrameMode,
} from '../../api/automask';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { ProgressBar } from '../../ui/ProgressBar';
import { DEFAULT_FORM, toRequest, type AutomaskForm } from './automaskForm';
import './automask.css';

/** How often a running job's progress is asked for. */
export const AUTOMASK_POLL_MS = 2000;

const STATUS_WORDS: Record<AutomaskJob['status'], string> = {
  queued: 'Waiting for a SAM 2 worker',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const MODES: { value: KeyFrameMode; label: string }[] = [
  { value: 'first', label: 'The first frame' },
  { value: 'every', label: 'Every N seconds' },
  { value: 'listed', label: 'Listed frames' },
];

/** The generator settings and job limits the form offers, in order. */
const SETTING_FIELDS: { key: Exclude<keyof AutomaskForm, 'mode' | 'everySeconds' | 'frames'>; label: string }[] = [
  { key: 'pointsPerSide', label: 'Points per side' },
  { key: 'predIouThresh', label: 'Predicted IoU threshold' },
  { key: 'stabilityScoreThresh', label: 'Stability threshold' },
  { key: 'boxNmsThresh', label: 'Box overlap kept (NMS threshold)' },
  { key: 'cropLayers', label: 'Crop layers' },
  { key: 'minRegionArea', label: 'Smallest region (pixels)' },
  { key: 'maxMasklets', label: 'At most masklets' },
  { key: 'dedupIou', label: 'Skip masks overlapping an existing one above IoU' },
];

/**
 * A manager starts auto-annotation of a video: SAM 2's automatic mask generator on the key
 * frames, new objects propagated through the video and sent to the review queue. Shows the latest
 * job's progress while it runs (polled), with a cancel button.
 */
export function AutomaskPanel({ videoId }: { videoId: number }) {
  const [form, setForm] = useState<AutomaskForm>(DEFAULT_FORM);
  const [job, setJob] = useState<AutomaskJob | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    listAutomaskJobs(videoId, controller.signal)
      .then((jobs) => setJob(jobs[0] ?? null))
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e);
      });
    return () => controller.abort();
  }, [videoId]);

  const active = job !== null && isAutomaskActive(job);
  useEffect(() => {
    if (!active || job === null) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      getAutomaskJob(job.id, controller.signal)
        .then(setJob)
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setError(e);
        });
    }, AUTOMASK_POLL_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [active, job]);

  const set = useCallback(
    <K extends keyof AutomaskForm>(key: K, value: AutomaskForm[K]) => setForm((f) => ({ ...f, [key]: value })),
    [],
  );

  const start = async () => {
    const built = toRequest(form);
    if ('error' in built) {
      setError(built.error);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setJob(await startAutomask(videoId, built.request));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    if (job === null) return;
    setBusy(true);
    try {
      setJob(await cancelAutomask(job.id));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card automask-panel" aria-label="Auto-annotation">
      <h2>Auto-annotation</h2>
      <p className="muted">
        SAM 2 proposes objects on key frames; new ones are propagated through the video and go to the review queue.
        Unsatisfactory ones become manual tasks.
      </p>
      {job !== null && <JobStatusView job={job} onCancel={cancel} busy={busy} />}
      {!active && (
        <form
          className="automask-form"
          onSubmit={(e) => {
            e.preventDefault();
            void start();
          }}
        >
          <label>
            Key frames
            <select value={form.mode} onChange={(e) => set('mode', e.target.value as KeyFrameMode)}>
              {MODES.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>
          {form.mode === 'every' && (
            <label>
              Seconds between key frames
              <input value={form.everySeconds} onChange={(e) => set('everySeconds', e.target.value)} />
            </label>
          )}
          {form.mode === 'listed' && (
            <label>
              Frames
              <input value={form.frames} onChange={(e) => set('frames', e.target.value)} placeholder="0, 48, 96" />
            </label>
          )}
          {SETTING_FIELDS.map(({ key, label }) => (
            <label key={key}>
              {label}
              <input value={form[key]} onChange={(e) => set(key, e.target.value)} />
            </label>
          ))}
          <button type="submit" disabled={busy}>
            Start auto-annotation
          </button>
        </form>
      )}
      {error !== null && <ErrorMessage error={error} />}
    </section>
  );
}

function JobStatusView({ job, onCancel, busy }: { job: AutomaskJob; onCancel: () => void; busy: boolean }) {
  const active = isAutomaskActive(job);
  const progress = job.progress_total > 0 ? job.progress_done / job.progress_total : null;
  return (
    <div className="automask-job" aria-live="polite">
      <p>
        <strong>{STATUS_WORDS[job.status]}</strong>
        {' · '}
        {job.key_frames_done.length} of {job.key_frames.length} key frames · {job.counts.proposed} proposed ·{' '}
        {job.counts.submitted} in the review queue
        {job.status === 'done' && (
          <>
            {' · '}
            {job.counts.accepted} accepted, {job.counts.rejected} turned into manual tasks
          </>
        )}
      </p>
      {active && <ProgressBar label="Auto-annotation progress" value={progress} />}
      {job.error && job.status !== 'done' && <ErrorMessage error={job.error} />}
      {active && (
        <button type="button" className="button-secondary" onClick={onCancel} disabled={busy || job.cancel_requested}>
          {job.cancel_requested ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
    </div>
  );
}
