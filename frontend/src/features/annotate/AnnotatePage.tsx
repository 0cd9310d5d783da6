import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { isJobActive, type Direction } from '../../api/masklets';
import { getProject, listLabels, listTasks, type Label, type Project, type Task } from '../../api/projects';
import { getVideo, isReady, type ReadyVideo } from '../../api/videos';
import { AnnotationCanvas, ZOOM_STEP, type CanvasEvent, type OverlayObject } from '../../canvas/AnnotationCanvas';
import { benchmarkDraw } from '../../canvas/drawBenchmark';
import type { PlayerState } from '../../canvas/FramePlayer';
import { TOOL_LABELS, TOOL_MODES, type ToolMode } from '../../canvas/modes';
import { describeChange } from '../../lib/undo';
import { useSession } from '../../state/session';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { ProgressBar } from '../../ui/ProgressBar';
import { usePlaybackKeys } from '../../state/usePlaybackKeys';
import { ANNOTATE_SHORTCUTS } from '../../ui/shortcuts';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { parseId } from '../routeParams';
import { MARK_LABELS, ObjectTimeline } from './ObjectTimeline';
import { useActivityReport } from './useActivityReport';
import { useWorkspace } from './useWorkspace';
import { nextColor } from './workspaceState';
import { ReviewPanel } from './ReviewPanel';
import { AddObjectForm, ObjectRow } from './ObjectList';
import { lockReason, parseJumpFrame, toolAccess, undoAccess } from './editAccess';
import { parseWorkspaceParams, workspaceSearch } from './workspaceUrl';
import { FrameStage } from '../../ui/FrameStage';
import { PlaybackControls, keepFocus } from '../../ui/PlaybackControls';

/** /videos/:videoId/annotate?frame=N&masklet=ID — the annotation workspace (both optional). */
export function AnnotatePage() {
  const videoId = parseId(useParams().videoId);
  if (videoId === null) return <NotFoundPage />;
  return <AnnotateLoader key={videoId} videoId={videoId} />;
}

interface Context {
  video: ReadyVideo;
  project: Project;
  labels: Label[];
  tasks: Task[];
}

function AnnotateLoader({ videoId }: { videoId: number }) {
  const { state, reload } = useAsync(
    async (signal): Promise<Context | string> => {
      const video = await getVideo(videoId, signal);
      if (!isReady(video)) return `${video.name} is not ready to annotate yet (${video.status}).`;
      const [project, labels, tasks] = await Promise.all([
        getProject(video.project, signal),
        listLabels(video.project, signal),
        listTasks(video.project, signal),
      ]);
      return { video, project, labels, tasks: tasks.filter((t) => t.video === video.id) };
    },
    [videoId],
  );
  const session = useSession().state;
  useDocumentTitle(
    state.status === 'done' && typeof state.data !== 'string' ? `Annotate ${state.data.video.name}` : 'Annotate',
  );
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  if (state.status === 'loading' || session.status !== 'authenticated')
    return <p className="page-status">Loading workspace…</p>;
  if (typeof state.data === 'string') return <ErrorMessage error={state.data} onRetry={reload} />;
  return <Workspace context={state.data} userId={session.user.id} username={session.user.username} />;
}

function Workspace({ context, userId, username }: { context: Context; userId: number; username: string }) {
  const { video, project, labels, tasks } = context;
  const ws = useWorkspace(video, project.id, userId);
  const frameCanvasRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const canvasRef = useRef<AnnotationCanvas | null>(null);
  const [searchParams, setSearchParams] = useSearchParams();
  // ?masklet= selects that object and ?frame= seeks there, once, on load.
  const [target] = useState(() => parseWorkspaceParams(searchParams, video.frame_count - 1));
  const initialFrame = target.frame ?? 0;
  const [player, setPlayer] = useState<PlayerState>({
    frame: initialFrame,
    playing: false,
    loading: true,
    buffering: false,
    error: null,
  });
  const [chosen, setChosen] = useState<number | null>(target.masklet);
  // What "Go to frame" shows while the user types in it (null: the current frame).
  const [jumpDraft, setJumpDraft] = useState<string | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  const [allHidden, setAllHidden] = useState(false);
  const [tool, setTool] = useState<ToolMode>('positive');
  const [zoom, setZoom] = useState(1);
  const [opacity, setOpacity] = useState(0.6);
  const [brush, setBrush] = useState(0);
  const [adding, setAdding] = useState(false);
  const [limitText, setLimitText] = useState('');
  const lastFrame = video.frame_count - 1;

  const myTasks = useMemo(() => tasks.filter((t) => t.assignee?.id === userId), [tasks, userId]);
  const isManager = project.my_role === 'manager';
  const canEdit = project.my_role !== 'reviewer';
  useActivityReport(video.id, player.frame, canEdit); // active time for the QA dashboard

  // The canvas: one per video.
  const onCanvasEvent = useRef<(event: CanvasEvent) => void>(() => undefined);
  useEffect(() => {
    const frameCanvas = frameCanvasRef.current;
    const overlay = overlayRef.current;
    if (frameCanvas === null || overlay === null) return;
    const instance = new AnnotationCanvas({
      frameCanvas,
      overlayCanvas: overlay,
      video,
      initialFrame,
      onPlayerState: setPlayer,
      onView: (view) => setZoom(view.zoom),
      onEvent: (event) => onCanvasEvent.current(event),
    });
    canvasRef.current = instance;
    setBrush(instance.brushSize);
    // For the end-to-end test and for anyone curious: the draw benchmark and the live stats.
    const hook = {
      benchmark: (objects = 10, iterations = 60) => benchmarkDraw({ canvas: overlay, objects, iterations }),
      stats: () => ({
        ...instance.stats,
        masksReady: instance.masksReady,
        frame: instance.currentFrame,
        view: instance.currentView,
      }),
    };
    (window as unknown as { sam2Workspace?: typeof hook }).sam2Workspace = hook;
    return () => {
      instance.dispose();
      canvasRef.current = null;
      delete (window as unknown as { sam2Workspace?: typeof hook }).sam2Workspace;
    };
    // One canvas per video; `initialFrame` only seeds it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [video]);

  // Keep the URL on the frame and the chosen object (linkable), once the playhead rests.
  useEffect(() => {
    if (player.playing) return;
    const timer = setTimeout(
      () =>
        setSearchParams(workspaceSearch({ frame: player.frame, masklet: chosen }), {
          replace: true,
          preventScrollReset: true,
        }),
      300,
    );
    return () => clearTimeout(timer);
  }, [player.frame, player.playing, chosen, setSearchParams]);

  // With no (or a vanished) selection, the first object is the selected one.
  const masklets = ws.data.masklets;
  const selected = chosen !== null && masklets.some((m) => m.id === chosen) ? chosen : (masklets[0]?.id ?? null);
  const selectedStatus = masklets.find((m) => m.id === selected)?.status;

  // A link to an object that is not (or no longer) in this video says so, until another is chosen.
  const missingTarget =
    ws.load.status === 'done' && chosen !== null && chosen === target.masklet && selected !== chosen;
  const { notify } = ws;

  // Feed the canvas.
  const objects: OverlayObject[] = useMemo(
    () =>
      masklets.map((m) => ({
        id: m.id,
        color: m.color,
        visible: !allHidden && !hidden.has(m.id),
        masks: ws.data.frames.get(m.id) ?? new Map(),
      })),
    [masklets, ws.data.frames, hidden, allHidden],
  );
  useEffect(() => canvasRef.current?.setObjects(objects), [objects]);
  useEffect(() => canvasRef.current?.setSelected(selected), [selected]);
  useEffect(() => canvasRef.current?.setTool(tool), [tool]);
  useEffect(() => canvasRef.current?.setOpacity(opacity), [opacity]);
  const selectedPrompts = selected === null ? undefined : ws.data.prompts.get(selected);
  useEffect(() => {
    const markers = (selectedPrompts ?? [])
      .filter((p) => p.frame_index === player.frame)
      .flatMap((p) => p.points.map(([x, y, label]) => ({ x, y, label })));
    canvasRef.current?.setPrompts(markers);
  }, [selectedPrompts, player.frame]);

  const handleCanvasEvent = (event: CanvasEvent) => {
    if (!canEdit) {
      ws.clearInfo();
      return;
    }
    switch (event.type) {
      case 'noObject':
        setAdding(true);
        break;
      case 'pointPrompt':
        void ws.prompt(event.maskletId, event.frame, { points: [event.point] });
        break;
      case 'boxPrompt':
        void ws.prompt(event.maskletId, event.frame, { points: [], box: event.box });
        break;
      case 'maskEdited':
        ws.editMask(event.maskletId, event.frame, event.rle, event.mode);
        break;
    }
  };
  useLayoutEffect(() => {
    onCanvasEvent.current = handleCanvasEvent;
  });

  const seek = useCallback((frame: number) => {
    canvasRef.current?.player.pause();
    canvasRef.current?.player.seek(frame);
  }, []);

  const withPrompts = useCallback(
    (ids: number[]) => ids.filter((id) => (ws.data.prompts.get(id)?.length ?? 0) > 0),
    [ws.data.prompts],
  );
  const propagate = useCallback(
    (direction: Direction) => {
      // The selected object if it has clicks, else every object that has.
      const candidates =
        selected !== null && withPrompts([selected]).length > 0 ? [selected] : withPrompts(masklets.map((m) => m.id));
      const limit = Number(limitText);
      void ws.propagate(
        candidates,
        player.frame,
        direction,
        limitText.trim() !== '' && limit > 0 ? Math.floor(limit) : null,
      );
    },
    [limitText, masklets, player.frame, selected, withPrompts, ws],
  );

  const onCreate = async (input: { name: string; labelId: number | null; taskId: number | null }) => {
    const created = await ws.addObject({
      name: input.name,
      color: nextColor(masklets.map((m) => m.color)),
      ...(input.labelId !== null ? { label_id: input.labelId } : {}),
      ...(input.taskId !== null ? { task_id: input.taskId } : {}),
    });
    if (created) {
      setChosen(created.id);
      setAdding(false);
    }
  };

  // Keyboard: the viewer's keys plus the workspace's.
  const sam2Down = ws.sam2 !== null && !ws.sam2.available;
  const accessOf = (mode: ToolMode) =>
    toolAccess(mode, TOOL_MODES.indexOf(mode), { canEdit, status: selectedStatus, sam2Down });
  /** A tool key: the tool, unless it cannot be used now (then the status line says why). */
  const pickTool = (mode: ToolMode) => {
    const access = accessOf(mode);
    if (access.enabled) setTool(mode);
    else notify(`${access.title}.`);
  };
  const stateRef = useRef({ selected, masklets, tool, brush, propagate, undoLast: ws.undoLast, pickTool });
  useLayoutEffect(() => {
    stateRef.current = { selected, masklets, tool, brush, propagate, undoLast: ws.undoLast, pickTool };
  });
  usePlaybackKeys({
    target: () => canvasRef.current?.player ?? null,
    lastFrame,
    goToFrame: () => document.getElementById('annotate-jump')?.focus(),
    // Space + drag pans the zoomed frame; Space alone still plays or pauses (when released).
    spaceHold: {
      press: () => canvasRef.current?.beginSpaceHold(),
      release: () => canvasRef.current?.endSpaceHold() ?? false,
    },
    extra: {
      group: ANNOTATE_SHORTCUTS,
      run: (shortcut, event) => {
        const canvas = canvasRef.current;
        if (canvas === null) return;
        const s = stateRef.current;
        switch (shortcut.id) {
          case 'toolPositive':
            s.pickTool('positive');
            break;
          case 'toolNegative':
            s.pickTool('negative');
            break;
          case 'toolBox':
            s.pickTool('box');
            break;
          case 'toolBrush':
            s.pickTool('brush');
            break;
          case 'toolEraser':
            s.pickTool('eraser');
            break;
          case 'brushSmaller':
            canvas.setBrushRadius(s.brush / 1.25);
            setBrush(canvas.brushSize);
            break;
          case 'brushBigger':
            canvas.setBrushRadius(Math.max(s.brush + 1, s.brush * 1.25));
            setBrush(canvas.brushSize);
            break;
          case 'undo':
          case 'undoCtrl':
            s.undoLast();
            break;
          case 'addObject':
            setAdding(true);
            break;
          case 'nextObject': {
            if (s.masklets.length === 0) break;
            const index = s.masklets.findIndex((m) => m.id === s.selected);
            const step = event.shiftKey ? -1 : 1;
            const next = s.masklets[(index + step + s.masklets.length) % s.masklets.length];
            if (next) setChosen(next.id);
            break;
          }
          case 'toggleObject':
            if (s.selected !== null) {
              const id = s.selected;
              setHidden((h) => {
                const n = new Set(h);
                if (n.has(id)) n.delete(id);
                else n.add(id);
                return n;
              });
            }
            break;
          case 'toggleAllMasks':
            setAllHidden((v) => !v);
            break;
          case 'propagateForward':
            s.propagate('forward');
            break;
          case 'propagateBackward':
            s.propagate('backward');
            break;
          case 'propagateBoth':
            s.propagate('both');
            break;
          case 'cancelTool':
            canvas.cancelInteraction();
            break;
          case 'toolPan':
            setTool('pan');
            break;
          case 'zoomIn':
            canvas.zoomBy(ZOOM_STEP);
            break;
          case 'zoomOut':
            canvas.zoomBy(1 / ZOOM_STEP);
            break;
          case 'zoomFit':
            canvas.fitView();
            break;
          default:
            break;
        }
      },
    },
  });

  const job = ws.job;
  const undoState = undoAccess(ws.undo.last, masklets.find((m) => m.id === ws.undo.last?.maskletId)?.status);
  const selectedMasklet = masklets.find((m) => m.id === selected);
  const selectedLocked = lockReason(selectedMasklet?.status) !== null;

  return (
    <section className="page annotate-page">
      <p className="breadcrumb">
        <Link to="/">Projects</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> /{' '}
        <Link to={`/videos/${video.id}`}>{video.name}</Link> / annotate
      </p>

      {sam2Down && (
        <div className="banner banner-warning" role="alert" data-testid="sam2-banner">
          <strong>SAM 2 is not available.</strong> {ws.sam2?.message} The brush and eraser still work.
        </div>
      )}
      {ws.stream === 'reconnecting' && (
        <div className="banner banner-info" role="status">
          Live updates paused: reconnecting to the server… (nothing you do is lost)
        </div>
      )}
      {ws.pending && (
        <div className="banner banner-warning" role="alert" data-testid="pending-banner">
          Cannot reach the server: your {ws.pending.description} is kept and will be saved when the connection is back.{' '}
          <button type="button" className="button-secondary" onClick={ws.pending.retry}>
            Retry now
          </button>
        </div>
      )}
      {ws.conflict && (
        <div className="banner banner-error" role="alert" data-testid="conflict-banner">
          Someone else changed this object first, so your {ws.conflict.description} was not saved.{' '}
          <button type="button" onClick={ws.conflict.reload}>
            Reload the object
          </button>{' '}
          <button type="button" className="button-secondary" onClick={ws.conflict.reapply}>
            Apply my change on top
          </button>
        </div>
      )}
      {ws.error && (
        <div className="banner banner-error" role="alert">
          {ws.error}{' '}
          <button type="button" className="button-secondary" onClick={ws.clearError}>
            Dismiss
          </button>
        </div>
      )}
      {ws.load.status === 'error' && <ErrorMessage error={ws.load.error} onRetry={ws.reloadAll} />}

      <div className="annotate-layout">
        <div className="annotate-main">
          <FrameStage
            className={`annotate-stage tool-${tool}`}
            frameCanvasRef={frameCanvasRef}
            overlayRef={overlayRef}
            videoName={video.name}
            overlayLabel="Masks (click or draw here with the selected tool)"
            player={player}
            onRetry={() => canvasRef.current?.player.retry()}
          >
            {ws.busy && <div className="viewer-notice">{ws.busy}</div>}
          </FrameStage>

          <PlaybackControls
            frame={player.frame}
            frameCount={video.frame_count}
            fps={video.fps}
            playing={player.playing}
            onSeek={(frame) => canvasRef.current?.player.seek(frame)}
            onStep={(delta) => canvasRef.current?.player.step(delta)}
            onToggle={() => canvasRef.current?.player.toggle()}
          >
            <form
              className="jump-form"
              onSubmit={(e) => {
                e.preventDefault();
                const input = e.currentTarget.elements.namedItem('frame') as HTMLInputElement;
                const n = parseJumpFrame(input.value, lastFrame);
                if (n !== null) seek(n);
                input.blur();
              }}
            >
              <label>
                Go to frame{' '}
                <input
                  id="annotate-jump"
                  name="frame"
                  inputMode="numeric"
                  size={5}
                  placeholder={`0–${lastFrame}`}
                  title={`A frame from 0 to ${lastFrame} (G), then Enter`}
                  // The current frame, unless the user is typing in it.
                  value={jumpDraft ?? String(player.frame)}
                  onFocus={(e) => {
                    setJumpDraft(e.currentTarget.value);
                    e.currentTarget.select();
                  }}
                  onChange={(e) => setJumpDraft(e.target.value)}
                  onBlur={() => setJumpDraft(null)}
                  onKeyDown={(e) => {
                    if (e.key === 'Escape') e.currentTarget.blur();
                  }}
                />
              </label>
            </form>
            <div className="button-group" role="group" aria-label="Zoom">
              <button
                type="button"
                className="button-secondary"
                onMouseDown={keepFocus}
                onClick={() => canvasRef.current?.zoomBy(1 / ZOOM_STEP)}
                disabled={zoom <= 1}
                aria-label="Zoom out"
                title="Zoom out (−; or the mouse wheel)"
              >
                −
              </button>
              <output
                className="zoom-level"
                data-testid="zoom-level"
                title="Zoom (100%: the whole frame)"
                style={{
                  alignSelf: 'center',
                  minWidth: '3.5rem',
                  textAlign: 'center',
                  fontVariantNumeric: 'tabular-nums',
                }}
              >
                {Math.round(zoom * 100)}%
              </output>
              <button
                type="button"
                className="button-secondary"
                onMouseDown={keepFocus}
                onClick={() => canvasRef.current?.zoomBy(ZOOM_STEP)}
                aria-label="Zoom in"
                title="Zoom in (+; or the mouse wheel)"
              >
                +
              </button>
              <button
                type="button"
                className="button-secondary"
                onMouseDown={keepFocus}
                onClick={() => canvasRef.current?.fitView()}
                disabled={zoom === 1}
                title="Whole frame (0)"
              >
                Fit
              </button>
            </div>
          </PlaybackControls>

          <div className="card timeline" aria-label="Timeline">
            <div className="timeline-legend muted">
              Timeline:{' '}
              {(Object.keys(MARK_LABELS) as (keyof typeof MARK_LABELS)[]).map((mark) => (
                <span key={mark} className="legend-item">
                  <span className={`legend-swatch mark-${mark}`} /> {MARK_LABELS[mark]}
                </span>
              ))}
            </div>
            {masklets.length === 0 && <p className="muted">No objects yet.</p>}
            {masklets.map((m) => (
              <ObjectTimeline
                key={m.id}
                name={m.name || `Object ${m.id}`}
                color={m.color}
                frameCount={video.frame_count}
                frames={ws.data.frames.get(m.id)}
                prompts={ws.data.prompts.get(m.id)}
                currentFrame={player.frame}
                onSeek={seek}
              />
            ))}
          </div>
        </div>

        <aside className="annotate-side">
          <div className="card">
            <h2>Tools</h2>
            <div className="tool-grid" role="radiogroup" aria-label="Tool">
              {TOOL_MODES.map((mode) => {
                const access = accessOf(mode);
                return (
                  <button
                    key={mode}
                    type="button"
                    role="radio"
                    aria-checked={tool === mode}
                    className={tool === mode ? 'tool-button is-active' : 'tool-button button-secondary'}
                    onMouseDown={keepFocus}
                    onClick={() => setTool(mode)}
                    disabled={!access.enabled}
                    title={access.title}
                  >
                    {TOOL_LABELS[mode]}
                  </button>
                );
              })}
            </div>
            {(tool === 'brush' || tool === 'eraser') && (
              <label className="slider-row">
                Brush {brush}px
                <input
                  type="range"
                  min={1}
                  max={100}
                  value={brush}
                  onChange={(e) => {
                    canvasRef.current?.setBrushRadius(Number(e.target.value));
                    setBrush(Number(e.target.value));
                  }}
                />
              </label>
            )}
            <label className="slider-row">
              Mask opacity {Math.round(opacity * 100)}%
              <input
                type="range"
                min={0}
                max={100}
                value={Math.round(opacity * 100)}
                onChange={(e) => setOpacity(Number(e.target.value) / 100)}
              />
            </label>
            <div className="button-row">
              <button
                type="button"
                className="button-secondary"
                onMouseDown={keepFocus}
                onClick={ws.undoLast}
                disabled={!undoState.enabled}
                title={undoState.title}
              >
                Undo{ws.undo.last ? ` ${describeChange(ws.undo.last)}` : ''}
              </button>
              <button
                type="button"
                className="button-secondary"
                onMouseDown={keepFocus}
                onClick={() => setAllHidden((v) => !v)}
              >
                {allHidden ? 'Show masks' : 'Hide masks'}
              </button>
            </div>
            {ws.info && (
              <p className="muted" role="status">
                {ws.info}
              </p>
            )}
          </div>

          <div className="card">
            <div className="card-header">
              <h2>Objects</h2>
              {canEdit && (
                <button type="button" onClick={() => setAdding(true)} title="Add an object (A)">
                  Add object
                </button>
              )}
            </div>
            {adding && (
              <AddObjectForm
                labels={labels}
                tasks={isManager ? tasks : myTasks}
                taskRequired={!isManager}
                username={username}
                onCancel={() => setAdding(false)}
                onCreate={onCreate}
              />
            )}
            {ws.load.status === 'loading' && <p className="muted">Loading objects…</p>}
            {missingTarget && (
              <p className="muted" role="status" data-testid="missing-target">
                Object #{target.masklet} (from the link) is not in this video
                {masklets.length > 0 ? '; the first object is selected instead' : ''}.
              </p>
            )}
            <ul className="object-list">
              {masklets.map((m) => (
                <ObjectRow
                  key={m.id}
                  id={m.id}
                  name={m.name}
                  color={m.color}
                  labelId={m.label}
                  labels={labels}
                  frames={ws.data.frames.get(m.id)?.size ?? 0}
                  status={m.status}
                  selected={m.id === selected}
                  hidden={hidden.has(m.id)}
                  canEdit={canEdit}
                  onSelect={() => setChosen(m.id)}
                  onToggle={() =>
                    setHidden((h) => {
                      const n = new Set(h);
                      if (n.has(m.id)) n.delete(m.id);
                      else n.add(m.id);
                      return n;
                    })
                  }
                  onRename={(name) => ws.updateObject(m.id, { name })}
                  onLabel={(label_id) => {
                    const label = labels.find((l) => l.id === label_id);
                    ws.updateObject(m.id, { label_id, ...(label ? { color: label.color } : {}) });
                  }}
                  onDelete={() => {
                    if (window.confirm(`Delete ${m.name || `object ${m.id}`} and all its masks?`))
                      void ws.deleteObject(m.id);
                  }}
                />
              ))}
            </ul>
          </div>

          <ReviewPanel
            masklet={selectedMasklet}
            role={project.my_role}
            userId={userId}
            taskAssignee={
              selectedMasklet?.task != null
                ? (tasks.find((t) => t.id === selectedMasklet.task)?.assignee?.id ?? null)
                : null
            }
            framesWithMask={selected === null ? 0 : (ws.data.frames.get(selected)?.size ?? 0)}
            currentFrame={player.frame}
            canvas={canvasRef}
            onSeek={seek}
            onMaskletChanged={ws.maskletChanged}
          />

          <div className="card">
            <h2>Propagate</h2>
            <p className="muted">
              From frame {player.frame},{' '}
              {selectedMasklet
                ? `for ${selectedMasklet.name || `object ${selectedMasklet.id}`}`
                : 'for every clicked object'}
              .
            </p>
            <label className="slider-row">
              At most this many frames each way (empty: to the end of the video)
              <input
                name="propagation-limit"
                inputMode="numeric"
                size={6}
                value={limitText}
                placeholder="all"
                onChange={(e) => setLimitText(e.target.value.replace(/[^0-9]/g, ''))}
              />
            </label>
            <div className="button-row">
              <button
                type="button"
                onMouseDown={keepFocus}
                onClick={() => propagate('backward')}
                disabled={!canEdit || sam2Down || selectedLocked || (job !== null && isJobActive(job))}
                title="Shift + F"
              >
                ◀ Backward
              </button>
              <button
                type="button"
                onMouseDown={keepFocus}
                onClick={() => propagate('both')}
                disabled={!canEdit || sam2Down || selectedLocked || (job !== null && isJobActive(job))}
                title="P"
              >
                Both
              </button>
              <button
                type="button"
                onMouseDown={keepFocus}
                onClick={() => propagate('forward')}
                disabled={!canEdit || sam2Down || selectedLocked || (job !== null && isJobActive(job))}
                title="F"
              >
                Forward ▶
              </button>
            </div>
            {job && (
              <div className="job" data-testid="propagation" data-status={job.status}>
                <ProgressBar
                  label="Propagation progress"
                  value={job.frames_total > 0 ? job.frames_done / job.frames_total : null}
                />
                <p>
                  {jobStatusText(job.status)} · {job.frames_done} / {job.frames_total || '?'} frames
                  {job.error ? ` · ${job.error}` : ''}
                </p>
                {isJobActive(job) ? (
                  <button
                    type="button"
                    className="button-secondary"
                    onClick={() => void ws.cancelJob()}
                    disabled={job.cancel_requested}
                  >
                    {job.cancel_requested ? 'Cancelling…' : 'Cancel'}
                  </button>
                ) : (
                  <button type="button" className="button-secondary" onClick={ws.dismissJob}>
                    Dismiss
                  </button>
                )}
              </div>
            )}
          </div>
          <p className="muted">
            Live updates: {ws.stream === 'live' ? 'on' : ws.stream}. Press <kbd>?</kbd> for all shortcuts.
          </p>
        </aside>
      </div>
    </section>
  );
}

function jobStatusText(status: string): string {
  switch (status) {
    case 'queued':
      return 'Waiting for SAM 2';
    case 'running':
      return 'Propagating';
    case 'done':
      return 'Done';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
    default:
      return status;
  }
}
