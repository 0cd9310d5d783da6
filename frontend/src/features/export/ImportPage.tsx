import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { importMasklets, listFormats, type DatasetFormat, type ImportedMasklet } from '../../api/exports';
import { canManage, getProject, type Project } from '../../api/projects';
import { isReady, listVideos, type Video } from '../../api/videos';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { ProjectSubpage } from './ProjectSubpage';
import '../manage/manage.css';

interface ImportData {
  project: Project;
  formats: DatasetFormat[];
  videos: Video[];
}

async function load(projectId: number, signal: AbortSignal): Promise<ImportData> {
  const [project, formats, videos] = await Promise.all([
    getProject(projectId, signal),
    listFormats(signal),
    listVideos(projectId, signal),
  ]);
  return { project, formats: formats.imports, videos: videos.filter(isReady) };
}

const HINTS: Record<string, string> = {
  sav: 'One SA-V JSON (sav_XXXXXX_manual.json or _auto.json) for this video.',
  davis: 'A zip of DAVIS / YouTube-VOS indexed PNGs (00000.png, …), one folder per video or the PNGs alone.',
  ytvis: 'A YouTube-VIS JSON; name the video inside it below when the file holds several.',
};

/** `/projects/:id/import`: masklets from a dataset file onto one of the project's videos. */
export function ImportPage() {
  return (
    <ProjectSubpage title="Import" heading="Import masklets" load={load}>
      {(data) =>
        canManage(data.project) ? (
          <ImportForm data={data} />
        ) : (
          <ErrorMessage error="Only the project's managers can import masklets." />
        )
      }
    </ProjectSubpage>
  );
}

function ImportForm({ data }: { data: ImportData }) {
  const { formats, videos } = data;
  const [videoId, setVideoId] = useState<number | null>(videos[0]?.id ?? null);
  const [format, setFormat] = useState(formats[0]?.value ?? '');
  const [file, setFile] = useState<File | null>(null);
  const [sourceVideo, setSourceVideo] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [result, setResult] = useState<{ video: Video; masklets: ImportedMasklet[] } | null>(null);
  const [inputKey, setInputKey] = useState(0); // remounts the file input to clear it

  if (videos.length === 0) {
    return <p className="muted">Upload a video on the project page first; masklets are imported onto a ready video.</p>;
  }

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const video = videos.find((v) => v.id === videoId);
    if (!video || !file) return;
    setError(null);
    setResult(null);
    setSaving(true);
    try {
      const masklets = await importMasklets(video.id, { format, file, sourceVideo: sourceVideo.trim() });
      setResult({ video, masklets });
      setFile(null);
      setInputKey((k) => k + 1);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <form className="card form-grid" onSubmit={onSubmit} aria-label="Import masklets">
        <h2>From a dataset file</h2>
        <label>
          Onto video
          <select value={videoId ?? ''} onChange={(e) => setVideoId(Number(e.target.value))}>
            {videos.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name} ({v.width}×{v.height}, {v.frame_count} frames)
              </option>
            ))}
          </select>
        </label>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value)}>
            {formats.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
          {HINTS[format] && <span className="hint">{HINTS[format]}</span>}
        </label>
        <label>
          File
          <input key={inputKey} type="file" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          <span>
            Video in the file <span className="muted">(optional)</span>
          </span>
          <input
            value={sourceVideo}
            placeholder="YouTube-VIS video id or name, or DAVIS folder"
            onChange={(e) => setSourceVideo(e.target.value)}
          />
        </label>
        <p className="hint wide-cell">
          All or nothing: if anything in the file is wrong, nothing is imported and the problem is named below.
        </p>
        {error !== null && (
          <div className="wide-cell">
            <ErrorMessage error={error} />
          </div>
        )}
        <div className="form-actions">
          <button type="submit" disabled={saving || !file || format === ''}>
            {saving ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
      {result && (
        <section className="card" role="status" aria-label="Imported">
          <h2>
            Imported {result.masklets.length} masklet{result.masklets.length === 1 ? '' : 's'} onto {result.video.name}
          </h2>
          <ul className="plain-list">
            {result.masklets.map((m) => (
              <li key={m.id}>
                <span className="swatch" style={{ backgroundColor: m.color }} aria-hidden="true" />
                {m.name || `Masklet ${m.id}`}
              </li>
            ))}
          </ul>
          <p>
            <Link to={`/videos/${result.video.id}/annotate`}>Open the video in the workspace</Link>
          </p>
        </section>
      )}
    </>
  );
}
