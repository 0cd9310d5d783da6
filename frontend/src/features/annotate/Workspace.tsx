/**
 * The annotation workspace: the frame with its masks filling the window, the labels that start new
 * objects, the tools, the objects, review, propagation and the timeline. This component holds the
 * page's choices (selection, picked label, tool, visibility) and wires canvas events to actions;
 * the data and the calls live in useWorkspace, the drawing in AnnotationCanvas. The frame number
 * is not React state here (PlayerStore): scrubbing re-renders only what shows it.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { postFrameShown, type Direction, type Masklet } from '../../api/masklets';
import type { Label, Project, Task } from '../../api/projects';
import type { ReadyVideo } from '../../api/videos';
import type { CanvasEvent } from '../../canvas/AnnotationCanvas';
import { needsSam2, type ToolMode } from '../../canvas/modes';
import { isCorrection, stopMarkers } from '../../lib/propagationStops';
import { frameMarks, keyframesOf, nextKeyframe } from '../../lib/timeline';
import { initialPlayerState, PlayerStore, usePlayerState, usePlayerValue } from '../../state/playerStore';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { FrameStage } from '../../ui/FrameStage';
import { lockReason, ownerReason, redoAccess, REVIEWER_REASON, toolAccess, undoAccess } from './editAccess';
import { FrameShownReporter } from './frameShown';
import { LabelBar } from './LabelBar';
import { labelForKey, newObjectName, objectColor, workspaceLabels } from './labels';
import { ObjectsPanel } from './ObjectsPanel';
import { PlayerBar } from './PlayerBar';
import { PropagatePanel, type Recompute } from './PropagatePanel';
import { ReviewPanel } from './ReviewPanel';
import { TOOL_KEYS, ToolPanel } from './ToolPanel';
import { useActivityReport } from './useActivityReport';
import { useAnnotationCanvas } from './useAnnotationCanvas';
import { useWorkspace, type ActionTarget } from './useWorkspace';
import { sam2Usable } from './useSam2Status';
import { useWorkspaceKeys, type WorkspaceKeyActions } from './useWorkspaceKeys';
import { StageNotices, StatusLine } from './WorkspaceNotices';
import { WorkspaceTimeline } from './WorkspaceTimeline';
import { parseWorkspaceParams, workspaceSearch } from './workspaceUrl';
import './workspace.css';

export interface WorkspaceContext {
  video: ReadyVideo;
  project: Project;
  labels: Label[];
  tasks: Task[];
}

/** How long the frame must rest before it is written to the URL (no history churn while scrubbing). */
const URL_SYNC_DELAY_MS = 300;

export function Workspace({
  context,
  userId,
  username,
}: {
  context: WorkspaceContext;
  userId: number;
  username: string;
}) {
  const { video, project, tasks } = context;
  const role = project.my_role;
  const lastFrame = video.frame_count - 1;
  const [searchParams, setSearchParams] = useSearchParams();
  // ?masklet= selects that object and ?frame= seeks there, once, on load.
  const [target] = useState(() => parseWorkspaceParams(searchParams, lastFrame));
  const initialFrame = target.frame ?? 0;
  const [store] = useState(() => new PlayerStore(initialPlayerState(initialFrame)));
  const frameWatch = useMemo(
    () => ({ current: () => store.state.shown ?? store.state.frame, subscribe: store.subscribe }),
    [store],
  );
  const ws = useWorkspace(video, project.id, userId, initialFrame);
  const labels = useMemo(() => workspaceLabels(context.labels), [context.labels]);
  const masklets = ws.data.masklets;

  const [chosen, setChosen] = useState<number | null>(target.masklet);
  const [armed, setArmed] = useState<number | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  const [allHidden, setAllHidden] = useState(false);
  const [pickedTool, setPickedTool] = useState<ToolMode | null>(null);
  const [opacity, setOpacity] = useState(0.6);
  const [adding, setAdding] = useState(false);
  const [limitText, setLimitText] = useState('');
  const [recompute, setRecompute] = useState<Recompute>('auto');

  // With no (or a vanished) selection, the first object is the selected one.
  const selected = chosen !== null && masklets.some((m) => m.id === chosen) ? chosen : (masklets[0]?.id ?? null);
  const selectedMasklet = masklets.find((m) => m.id === selected);
  const missingTarget =
    ws.load.status === 'done' && chosen !== null && chosen === target.masklet && selected !== chosen
      ? target.masklet
      : null;
  const colorOf = useCallback((m: Masklet) => objectColor(m, context.labels), [context.labels]);

  // ---- who may do what -------------------------------------------------------------------------
  const myTasks = useMemo(() => tasks.filter((t) => t.assignee?.id === userId), [tasks, userId]);
  const deniedOf = useCallback((m: Masklet) => ownerReason(role, userId, m, tasks), [role, userId, tasks]);
  const addDenied =
    role === 'reviewer'
      ? REVIEWER_REASON.replace('edit masks', 'add objects')
      : role === 'annotator' && myTasks.length === 0
        ? `no task on this video is assigned to you (${username}); a manager assigns one`
        : null;
  const sam2Reason = sam2Usable(ws.sam2)
    ? null
    : ws.sam2.state === 'starting'
      ? 'SAM 2 is starting'
      : 'SAM 2 is not available';
  // A picked label acts on the new object: what matters is whether this user may add one.
  const targetDenied = armed !== null ? addDenied : selectedMasklet ? deniedOf(selectedMasklet) : addDenied;
  const targetStatus = armed !== null ? undefined : selectedMasklet?.status;
  const accessOf = (mode: ToolMode) =>
    toolAccess(mode, TOOL_KEYS[mode], { denied: targetDenied, status: targetStatus, sam2: sam2Reason });
  // The brush while SAM 2 cannot answer; SAM 2's positive click otherwise, until a tool is picked.
  const tool: ToolMode =
    pickedTool !== null && !(needsSam2(pickedTool) && sam2Reason !== null)
      ? pickedTool
      : sam2Reason === null
        ? 'positive'
        : 'brush';

  // ---- the canvas --------------------------------------------------------------------------------
  const newObject = (label: Label | undefined): ActionTarget | null => {
    if (label === undefined) return null;
    const frame = store.state.frame;
    const inTask = (t: Task) => frame >= t.frame_start && (t.frame_end === null || frame < t.frame_end);
    const task = role === 'manager' ? null : (myTasks.find(inTask) ?? myTasks[0] ?? null);
    return {
      create: {
        name: newObjectName(label, masklets),
        label_id: label.id,
        color: label.color,
        ...(task !== null ? { task_id: task.id } : {}),
      },
    };
  };
  const actionTarget = (maskletId: number | null): ActionTarget | null =>
    maskletId !== null ? maskletId : newObject(labels.find((l) => l.id === armed));
  const afterAction = (made: Promise<number | null>) => {
    void made.then((id) => {
      if (id === null) return;
      setChosen(id);
      setArmed(null);
    });
  };
  const onCanvasEvent = (event: CanvasEvent) => {
    switch (event.type) {
      case 'noObject':
        if (labels.length > 0 && addDenied === null)
          ws.notify('Pick a label first (1–9, or above the frame), then click.');
        else if (addDenied === null) setAdding(true);
        else ws.notify(`Nothing to edit here: ${addDenied}.`);
        break;
      case 'frameNotReady':
        ws.notify(`Frame ${event.frame} is still loading; the picture is another frame. Try again in a moment.`);
        break;
      case 'pointPrompt':
      case 'boxPrompt': {
        const to = actionTarget(event.maskletId);
        if (to === null || targetDenied !== null) break;
        const input = event.type === 'pointPrompt' ? { points: [event.point] } : { points: [], box: event.box };
        afterAction(ws.prompt(to, event.frame, input));
        break;
      }
      case 'maskEdited': {
        const to = actionTarget(event.maskletId);
        if (to === null || targetDenied !== null) break;
        afterAction(ws.editMask(to, event.frame, event.rle, event.mode));
        break;
      }
      default:
        break;
    }
  };
  const canvas = useAnnotationCanvas({ video, initialFrame, store, onEvent: onCanvasEvent });
  const { canvasRef } = canvas;
  const canvasOf = useCallback(() => canvasRef.current, [canvasRef]);

  const objects = useMemo(
    () =>
      masklets.map((m) => ({
        id: m.id,
        color: colorOf(m),
        visible: !allHidden && !hidden.has(m.id),
        masks: ws.data.frames.get(m.id) ?? new Map(),
      })),
    [masklets, colorOf, ws.data.frames, hidden, allHidden],
  );
  const armedColor = labels.find((l) => l.id === armed)?.color ?? null;
  useEffect(() => canvasRef.current?.setObjects(objects), [canvasRef, objects]);
  useEffect(() => canvasRef.current?.setSelected(selected), [canvasRef, selected]);
  useEffect(() => canvasRef.current?.setNewObject(armedColor), [canvasRef, armedColor]);
  useEffect(() => canvasRef.current?.setTool(tool), [canvasRef, tool]);
  useEffect(() => canvasRef.current?.setOpacity(opacity), [canvasRef, opacity]);
  // Under review or accepted, or not this user's: the canvas takes no clicks or strokes for it.
  const readOnly = armed === null && (targetDenied !== null || lockReason(targetStatus) !== null);
  useEffect(() => canvasRef.current?.setPointerMode(readOnly ? 'none' : 'edit'), [canvasRef, readOnly]);

  // The selected object's clicks on the frame on screen, redrawn as that frame changes.
  const selectedPrompts = selected === null ? undefined : ws.data.prompts.get(selected);
  useEffect(() => {
    let last: number | null = null;
    const place = (force: boolean) => {
      const frame = store.state.shown ?? store.state.frame;
      if (!force && frame === last) return;
      last = frame;
      const markers = (selectedPrompts ?? [])
        .filter((p) => p.frame_index === frame)
        .flatMap((p) => p.points.map(([x, y, label]) => ({ x, y, label })));
      canvasRef.current?.setPrompts(markers);
    };
    place(true);
    return store.subscribe(() => place(false));
  }, [canvasRef, selectedPrompts, store]);

  // The URL follows the frame and the chosen object (linkable), once the playhead rests.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const sync = () => {
      if (timer !== null) clearTimeout(timer);
      if (store.state.playing) return;
      timer = setTimeout(() => {
        setSearchParams(workspaceSearch({ frame: store.state.frame, masklet: chosen }), {
          replace: true,
          preventScrollReset: true,
        });
      }, URL_SYNC_DELAY_MS);
    };
    sync();
    const unsubscribe = store.subscribe(sync);
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [chosen, setSearchParams, store]);

  // ---- actions -----------------------------------------------------------------------------------
  const seek = useCallback(
    (frame: number) => {
      canvasOf()?.player.pause();
      canvasOf()?.player.seek(frame);
    },
    [canvasOf],
  );
  const toggleHidden = (id: number) =>
    setHidden((h) => {
      const n = new Set(h);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const pickTool = (mode: ToolMode) => {
    const access = accessOf(mode);
    if (access.enabled) setPickedTool(mode);
    else ws.notify(`${access.title}.`);
  };
  const pickLabel = (labelId: number | null) => {
    if (labelId !== null && addDenied !== null) {
      ws.notify(`Cannot add an object: ${addDenied}.`);
      return;
    }
    setArmed(labelId);
    if (labelId !== null && (tool === 'pan' || tool === 'negative')) setPickedTool(null);
  };
  const propagate = (direction: Direction) => {
    const withPrompts = (ids: number[]) => ids.filter((id) => (ws.data.prompts.get(id)?.length ?? 0) > 0);
    // The selected object if it has clicks, else every object that has.
    const ids =
      selected !== null && withPrompts([selected]).length > 0 ? [selected] : withPrompts(masklets.map((m) => m.id));
    const limit = Number(limitText);
    const frame = store.state.frame;
    // A correction (frames ahead were propagated before) recomputes only what changed.
    const onlyChanged =
      recompute === 'changed' ||
      (recompute === 'auto' &&
        isCorrection(
          frame,
          direction,
          ids.map((id) => ws.data.frames.get(id)?.values() ?? []),
        ));
    void ws.propagate(
      ids,
      frame,
      direction,
      limitText.trim() !== '' && limit > 0 ? Math.floor(limit) : null,
      onlyChanged,
    );
  };
  const goToKeyframe = (direction: 1 | -1) => {
    const from = store.state.frame;
    const scope = selectedMasklet ? [selectedMasklet] : masklets;
    const frames = new Set<number>();
    for (const m of scope) {
      const marks = frameMarks(
        video.frame_count,
        ws.data.frames.get(m.id)?.values() ?? [],
        (ws.data.prompts.get(m.id) ?? []).map((p) => p.frame_index),
      );
      const pinned = (ws.pins.get(m.id) ?? []).map((p) => p.frame_index);
      for (const f of keyframesOf(marks, pinned)) frames.add(f);
    }
    const next = nextKeyframe(
      [...frames].sort((a, b) => a - b),
      from,
      direction,
    );
    if (next === null) ws.notify(`No keyframe ${direction === 1 ? 'after' : 'before'} frame ${from}.`);
    else seek(next);
  };
  const undoEntry = ws.undo.last;
  const redoEntry = ws.undo.lastUndone;
  const statusOf = (id: number | undefined) => masklets.find((m) => m.id === id)?.status;

  const keyActions = (): WorkspaceKeyActions => ({
    pickTool,
    pickLabel: (digit) => {
      const label = labelForKey(labels, digit);
      if (label === undefined) ws.notify(`No label has the key ${digit}.`);
      else pickLabel(label.id === armed ? null : label.id);
    },
    cancel: () => {
      canvasOf()?.cancelInteraction();
      setArmed(null);
    },
    brushBy: (direction) =>
      canvas.setBrush(direction === 1 ? Math.max(canvas.brush + 1, canvas.brush * 1.25) : canvas.brush / 1.25),
    undo: ws.undoLast,
    redo: ws.redoLast,
    addObject: () => (addDenied === null ? setAdding(true) : ws.notify(`Cannot add an object: ${addDenied}.`)),
    nextObject: (step) => {
      if (masklets.length === 0) return;
      const index = masklets.findIndex((m) => m.id === selected);
      const next = masklets[(index + step + masklets.length) % masklets.length];
      if (next) setChosen(next.id);
    },
    toggleSelected: () => selected !== null && toggleHidden(selected),
    toggleAll: () => setAllHidden((v) => !v),
    propagate,
    keyframe: goToKeyframe,
  });
  const keyActionsRef = useRef(keyActions);
  useLayoutEffect(() => {
    keyActionsRef.current = keyActions;
  });
  useWorkspaceKeys({ canvas: canvasOf, lastFrame, actions: () => keyActionsRef.current() });

  const jobStops = ws.job?.stops;
  const stopsShown = useMemo(() => stopMarkers(jobStops ?? []), [jobStops]);

  const propagateDenied =
    selectedMasklet !== undefined
      ? (deniedOf(selectedMasklet) ?? lockReason(selectedMasklet.status))
      : role === 'reviewer'
        ? REVIEWER_REASON
        : null;

  return (
    <section className="page annotate-page workspace-page">
      <ActivityReporter store={store} videoId={video.id} enabled={role !== 'reviewer'} />
      <FrameShown store={store} videoId={video.id} enabled={role !== 'reviewer' && sam2Reason === null} />
      <div className="annotate-top">
        <p className="breadcrumb">
          <Link to="/">Projects</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> /{' '}
          <Link to={`/videos/${video.id}`}>{video.name}</Link> / annotate
        </p>
        {role !== 'reviewer' && (
          <LabelBar labels={labels} armed={armed} disabledReason={addDenied} onPick={pickLabel} />
        )}
      </div>
      {ws.load.status === 'error' && <ErrorMessage error={ws.load.error} onRetry={ws.reloadAll} />}
      <div className="annotate-layout">
        <div className="annotate-main">
          <WorkspaceStage
            store={store}
            className={`annotate-stage tool-${tool}${armed !== null ? ' is-adding' : ''}`}
            frameCanvasRef={canvas.frameCanvasRef}
            overlayRef={canvas.overlayRef}
            videoName={video.name}
            onRetry={() => canvasOf()?.player.retry()}
          >
            <StageNotices
              busy={ws.busy}
              pending={ws.pending}
              conflict={ws.conflict}
              error={ws.error}
              onDismissError={ws.clearError}
            />
          </WorkspaceStage>
          <PlayerBar
            store={store}
            canvas={canvasOf}
            frameCount={video.frame_count}
            fps={video.fps}
            zoom={canvas.zoom}
            onSeek={seek}
          />
          <StatusLine info={ws.info} sam2={ws.sam2} stream={ws.stream} />
          <WorkspaceTimeline
            store={store}
            frameCount={video.frame_count}
            masklets={masklets}
            colorOf={colorOf}
            frames={ws.data.frames}
            prompts={ws.data.prompts}
            pins={ws.pins}
            stops={stopsShown}
            selected={selected}
            onSeek={seek}
          />
        </div>
        <aside className="annotate-side">
          <ToolPanel
            tool={tool}
            access={accessOf}
            onTool={pickTool}
            brush={canvas.brush}
            onBrush={canvas.setBrush}
            opacity={opacity}
            onOpacity={setOpacity}
            allHidden={allHidden}
            onToggleAll={() => setAllHidden((v) => !v)}
            undo={{ access: undoAccess(undoEntry, statusOf(undoEntry?.maskletId)), entry: undoEntry, run: ws.undoLast }}
            redo={{ access: redoAccess(redoEntry, statusOf(redoEntry?.maskletId)), entry: redoEntry, run: ws.redoLast }}
          />
          <ObjectsPanel
            masklets={masklets}
            frames={ws.data.frames}
            labels={context.labels}
            colorOf={colorOf}
            selected={selected}
            hidden={hidden}
            deniedOf={deniedOf}
            addDenied={addDenied}
            adding={adding}
            onAdding={setAdding}
            addForm={{
              tasks: role === 'manager' ? tasks : myTasks,
              taskRequired: role !== 'manager',
              username,
              onCreate: async (input) => {
                const label = context.labels.find((l) => l.id === input.labelId);
                const created = await ws.addObject({
                  name: input.name,
                  ...(label ? { label_id: label.id, color: label.color } : {}),
                  ...(input.taskId !== null ? { task_id: input.taskId } : {}),
                });
                if (created) {
                  setChosen(created.id);
                  setAdding(false);
                }
              },
            }}
            loading={ws.load.status === 'loading'}
            missingTarget={missingTarget}
            onSelect={(id) => {
              setChosen(id);
              setArmed(null);
            }}
            onToggle={toggleHidden}
            onRename={(id, name) => ws.updateObject(id, { name })}
            onLabel={(id, labelId) => {
              const label = context.labels.find((l) => l.id === labelId);
              ws.updateObject(id, { label_id: labelId, ...(label ? { color: label.color } : {}) });
            }}
            onDelete={(m) => {
              if (window.confirm(`Delete ${m.name || `object ${m.id}`} and all its masks?`)) void ws.deleteObject(m.id);
            }}
          />
          <PropagatePanel
            store={store}
            selected={selectedMasklet}
            limitText={limitText}
            onLimit={setLimitText}
            recompute={recompute}
            onRecompute={setRecompute}
            disabledReason={propagateDenied ?? sam2Reason}
            job={ws.job}
            onPropagate={propagate}
            onCancel={() => void ws.cancelJob()}
            onDismiss={ws.dismissJob}
          />
          <ReviewPanel
            frame={frameWatch}
            masklet={selectedMasklet}
            role={role}
            userId={userId}
            taskAssignee={
              selectedMasklet?.task != null
                ? (tasks.find((t) => t.id === selectedMasklet.task)?.assignee?.id ?? null)
                : null
            }
            framesWithMask={selected === null ? 0 : (ws.data.frames.get(selected)?.size ?? 0)}
            canvas={canvasRef}
            onSeek={seek}
            onMaskletChanged={ws.maskletChanged}
          />
        </aside>
      </div>
    </section>
  );
}

/** The stage with the player's loading and error notices: re-renders with the player, alone. */
function WorkspaceStage(props: {
  store: PlayerStore;
  className: string;
  frameCanvasRef: React.RefObject<HTMLCanvasElement | null>;
  overlayRef: React.RefObject<HTMLCanvasElement | null>;
  videoName: string;
  onRetry: () => void;
  children: React.ReactNode;
}) {
  const player = usePlayerState(props.store);
  return (
    <FrameStage
      className={props.className}
      frameCanvasRef={props.frameCanvasRef}
      overlayRef={props.overlayRef}
      videoName={props.videoName}
      overlayLabel="Masks (click or draw here with the selected tool)"
      player={player}
      onRetry={props.onRetry}
    >
      {props.children}
    </FrameStage>
  );
}

/** Active time for the QA dashboard, tagged with the frame on screen. */
/** Tells SAM 2 the frame the annotator rests on, so the first click on it skips the image encoder. */
function FrameShown({ store, videoId, enabled }: { store: PlayerStore; videoId: number; enabled: boolean }) {
  useEffect(() => {
    if (!enabled) return;
    const reporter = new FrameShownReporter((frame) => {
      postFrameShown(videoId, frame).catch(() => undefined); // best effort: a click still works without it
    });
    reporter.show(store.state.frame);
    const unsubscribe = store.subscribe(() => reporter.show(store.state.frame));
    return () => {
      unsubscribe();
      reporter.cancel();
    };
  }, [store, videoId, enabled]);
  return null;
}

function ActivityReporter({ store, videoId, enabled }: { store: PlayerStore; videoId: number; enabled: boolean }) {
  useActivityReport(
    videoId,
    usePlayerValue(store, (s) => s.frame),
    enabled,
  );
  return null;
}
