import { useEffect, useRef, useState, type FormEvent } from 'react';
import { isAbortError } from '../../api/client';
import { uploadVideo, type UploadProgress, type Video } from '../../api/videos';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { ProgressBar } from '../../ui/ProgressBar';
import { formatBytes } from './format';

type UploadState =
  | { status: 'idle' }
  | { status: 'uploading'; progress: UploadProgress }
  | { status: 'failed'; error: unknown }
  | { status: 'done'; name: string };

/** Managers' video upload, with byte progress and a cancel button. */
export function UploadForm({ projectId, onUploaded }: { projectId: number; onUploaded: (video: Video) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<UploadState>({ status: 'idle' });
  const controller = useRef<AbortController | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => () => controller.current?.abort(), []); // leaving the page cancels the upload

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (file === null) return;
    const abort = new AbortController();
    controller.current = abort;
    setState({ status: 'uploading', progress: { loaded: 0, total: file.size } });
    try {
      const video = await uploadVideo(projectId, file, {
        signal: abort.signal,
        onProgress: (progress) => setState({ status: 'uploading', progress }),
      });
      setState({ status: 'done', name: video.name });
      setFile(null);
      if (input.current) input.current.value = '';
      onUploaded(video);
    } catch (error) {
      if (abort.signal.aborted && isAbortError(error)) setState({ status: 'idle' });
      else setState({ status: 'failed', error });
    } finally {
      if (controller.current === abort) controller.current = null;
    }
  };

  const uploading = state.status === 'uploading';
  return (
    <form className="card upload-form" onSubmit={onSubmit} aria-label="Upload a video">
      <h2>Upload a video</h2>
      <div className="upload-row">
        <input
          ref={input}
          type="file"
          name="file"
          accept="video/*"
          disabled={uploading}
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setState({ status: 'idle' });
          }}
        />
        {file && <span className="muted">{formatBytes(file.size)}</span>}
        <button type="submit" disabled={file === null || uploading}>
          Upload
        </button>
        {uploading && (
          <button type="button" className="button-secondary" onClick={() => controller.current?.abort()}>
            Cancel
          </button>
        )}
      </div>
      {state.status === 'uploading' && (
        <ProgressBar
          label="Upload progress"
          value={state.progress.total ? state.progress.loaded / state.progress.total : null}
        />
      )}
      {state.status === 'failed' && <ErrorMessage error={state.error} />}
      {state.status === 'done' && (
        <p className="success" role="status">
          Uploaded {state.name}. Frames are being extracted; the list below updates by itself.
        </p>
      )}
    </form>
  );
}
