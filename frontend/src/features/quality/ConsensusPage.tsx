import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { describeError } from '../../api/client';
import { listMaskletFrames, listMasklets } from '../../api/masklets';
import { getProject, type Project, type UserRef } from '../../api/projects';
import {
  getConsensus,
  resolveConsensus,
  type Consensus,
  type ConsensusGroup,
  type ConsensusPair,
  type QualityMasklet,
} from '../../api/quality';
import { getVideo, isReady, type ReadyVideo } from '../../api/videos';
import { clampFrame } from '../../lib/frames';
import { countsFromString, type CompressedRle } from '../../lib/rle';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { parseId } from '../routeParams';
import { frameAgreement, maskletIdOf, pairRows, worstFrame, type PairRow } from './consensusData';
import { formatScore } from './dashboardData';
import { GroundTruthPanel } from './GroundTruthPanel';
import { MaskPreview } from './MaskPreview';
import { useRefreshable } from './useRefreshable';
import './quality.css';

/**
 * /videos/:videoId/consensus — agreement between the annotators of a consensus video (pairs,
 * disagreements, groups of versions to resolve) and the video's ground truth with its scores.
 * Managers act; reviewers read.
 */
export function ConsensusPage() {
  const videoId = parseId(useParams().videoId);
  if (videoId === null) return <NotFoundPage />;
  return <ConsensusLoader key={videoId} videoId={videoId} />;
}

interface Context {
  video: ReadyVideo;
  project: Project;
}

function ConsensusLoader({ videoId }: { videoId: number }) {
  const { state, reload } = useAsync(
    async (signal): Promise<Context | string> => {
      const video = await getVideo(videoId, signal);
      if (!isReady(video)) return `${video.name} is not ready yet (${video.status}).`;
      const project = await getProject(video.project, signal);
      return { video, project };
    },
    [videoId],
  );
  useDocumentTitle(
    state.status === 'done' && typeof state.data !== 'string' ? `Quality · ${state.data.video.name}` : 'Quality',
  );
  if (state.status === 'loading') return <p className="page-status">Loading…</p>;
  if (state.status === 'error') {
    return (
      <section className="page">
        <ErrorMessage error={state.error} onRetry={reload} />
      </section>
    );
  }
  if (typeof state.data === 'string') {
    return (
      <section className="page">
        <ErrorMessage error={state.data} onRetry={reload} />
      </section>
    );
  }
  return <ConsensusView video={state.data.video} project={state.data.project} />;
}

/** A masklet as the page names it: its name, or its number. */
export function maskletName(m: Pick<QualityMasklet, 'id' | 'name'> | undefined, id: number): string {
  return m?.name ? `${m.name} (#${id})` : `Masklet #${id}`;
}

function ConsensusView({ video, project }: { video: ReadyVideo; project: Project }) {
  const isManager = project.my_role === 'manager';
  const isConsensus = project.consensus_k > 1;
  const masklets = useRefreshable((signal) => listMasklets(video.id, signal) as Promise<QualityMasklet[]>, [video.id]);
  const consensus = useRefreshable(
    (signal) => (isConsensus ? getConsensus(video.id, signal) : Promise.resolve(null)),
    [video.id, isConsensus],
  );
  const byId = useMemo(
    () => new Map((masklets.state.status === 'done' ? masklets.state.data : []).map((m) => [m.id, m])),
    [masklets.state],
  );
  const ownerOf = useMemo(() => {
    const owners = new Map<number, UserRef>();
    if (consensus.state.status === 'done' && consensus.state.data) {
      for (const a of consensus.state.data.annotators) for (const m of a.masklets) owners.set(maskletIdOf(m), a.user);
    }
    return owners;
  }, [consensus.state]);

  const refreshAll = () => {
    masklets.refresh();
    consensus.refresh();
  };

  return (
    <section className="page consensus-page">
      <p className="breadcrumb">
        <Link to="/">Projects</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> /{' '}
        <Link to={`/videos/${video.id}`}>{video.name}</Link> / {isConsensus ? 'consensus' : 'ground truth'}
      </p>
      <div className="page-title">
        <h1>
          {isConsensus ? 'Consensus' : 'Ground truth'}: {video.name}
        </h1>
        {isConsensus && <span className="badge">{project.consensus_k} annotators per video</span>}
      </div>
      {project.my_role === 'annotator' ? (
        <ErrorMessage error="Consensus and ground truth are for the project's managers and reviewers." />
      ) : (
        <>
          {isConsensus && consensus.state.status === 'loading' && <p className="muted">Comparing annotators…</p>}
          {isConsensus && consensus.state.status === 'error' && (
            <ErrorMessage error={consensus.state.error} onRetry={consensus.reload} />
          )}
          {masklets.state.status === 'error' && <ErrorMessage error={masklets.state.error} onRetry={masklets.reload} />}
          {(masklets.refreshError ?? consensus.refreshError) !== null && (
            <ErrorMessage error={masklets.refreshError ?? consensus.refreshError} onRetry={refreshAll} />
          )}
          {consensus.state.status === 'done' && consensus.state.data && (
            <ConsensusSections
              data={consensus.state.data}
              video={video}
              byId={byId}
              ownerOf={ownerOf}
              canResolve={isManager}
              onResolved={refreshAll}
            />
          )}
          {masklets.state.status === 'done' && (
            <GroundTruthPanel
              video={video}
              masklets={masklets.state.data}
              canEdit={isManager}
              ownerOf={ownerOf}
              onSaved={masklets.refresh}
            />
          )}
        </>
      )}
    </section>
  );
}

function MaskletLabel({
  id,
  byId,
  owner,
}: {
  id: number;
  byId: ReadonlyMap<number, QualityMasklet>;
  owner?: UserRef | undefined;
}) {
  const m = byId.get(id);
  return (
    <span className="masklet-label">
      {m && <span className="swatch" style={{ backgroundColor: m.color }} aria-hidden="true" />}
      {maskletName(m, id)}
      {owner && <span className="muted"> · {owner.username}</span>}
      {m?.consensus_discarded && <span className="badge">discarded</span>}
    </span>
  );
}

function ConsensusSections({
  data,
  video,
  byId,
  ownerOf,
  canResolve,
  onResolved,
}: {
  data: Consensus;
  video: ReadyVideo;
  byId: ReadonlyMap<number, QualityMasklet>;
  ownerOf: ReadonlyMap<number, UserRef>;
  canResolve: boolean;
  onResolved: () => void;
}) {
  // A version nobody else made has nothing to choose between: not counted as open.
  const choices = data.groups.filter((g) => g.masklets.length > 1);
  const open = choices.filter((g) => g.resolved === null).length;
  return (
    <>
      <section className="card">
        <h2>Annotators</h2>
        {data.annotators.length === 0 ? (
          <p className="muted">
            This video has not been given to annotators yet: assign it from the project page (consensus assignment).
          </p>
        ) : (
          <ul className="plain-list">
            {data.annotators.map((a) => (
              <li key={a.user.id}>
                <strong>{a.user.username}</strong>
                <span className="muted">
                  · {a.masklets.length} masklet{a.masklets.length === 1 ? '' : 's'}
                </span>
              </li>
            ))}
          </ul>
        )}
        {data.annotators.length > 0 && data.annotators.length < data.k && (
          <p className="muted">
            {data.annotators.length} of {data.k} annotators so far.
          </p>
        )}
      </section>

      {data.pairs.map((pair) => (
        <PairCard key={`${pair.a.id}-${pair.b.id}`} pair={pair} byId={byId} />
      ))}

      <section className="card">
        <h2>
          Versions to resolve{' '}
          <span className="muted">
            ({open} open of {choices.length})
          </span>
        </h2>
        {data.groups.length === 0 && <p className="muted">No matched objects yet.</p>}
        <div className="group-list">
          {data.groups.map((group, index) => (
            <GroupResolver
              key={group.masklets.join('-')}
              index={index}
              group={group}
              video={video}
              byId={byId}
              ownerOf={ownerOf}
              canResolve={canResolve}
              onResolved={onResolved}
            />
          ))}
        </div>
      </section>
    </>
  );
}

function PairCard({ pair, byId }: { pair: ConsensusPair; byId: ReadonlyMap<number, QualityMasklet> }) {
  const rows = pairRows(pair);
  const disagreements = pair.unmatched_a.length + pair.unmatched_b.length;
  const key = (row: PairRow) =>
    row.kind === 'match' ? `m${row.a}-${row.b}` : row.kind === 'only_a' ? `a${row.a}` : `b${row.b}`;
  return (
    <section className="card" data-testid="consensus-pair">
      <h2>
        {pair.a.username} vs {pair.b.username}
      </h2>
      <dl className="facts">
        <div>
          <dt>Matched</dt>
          <dd>{pair.matches.length}</dd>
        </div>
        <div>
          <dt>Disagreements</dt>
          <dd className={disagreements > 0 ? 'text-danger' : undefined}>{disagreements}</dd>
        </div>
        <div>
          <dt>J</dt>
          <dd>{formatScore(pair.j)}</dd>
        </div>
        <div>
          <dt>F</dt>
          <dd>{formatScore(pair.f)}</dd>
        </div>
        <div>
          <dt>J&amp;F</dt>
          <dd>{formatScore(pair.jf)}</dd>
        </div>
      </dl>
      {rows.length === 0 ? (
        <p className="muted">Neither annotator has masklets yet.</p>
      ) : (
        <table className="data-table compact">
          <thead>
            <tr>
              <th>{pair.a.username}</th>
              <th>{pair.b.username}</th>
              <th className="cell-number">J</th>
              <th className="cell-number">F</th>
              <th className="cell-number">J&amp;F</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) =>
              row.kind === 'match' ? (
                <tr key={key(row)}>
                  <td>
                    <MaskletLabel id={row.a} byId={byId} />
                  </td>
                  <td>
                    <MaskletLabel id={row.b} byId={byId} />
                  </td>
                  <td className="cell-number">{formatScore(row.j)}</td>
                  <td className="cell-number">{formatScore(row.f)}</td>
                  <td className="cell-number">{formatScore(row.jf)}</td>
                </tr>
              ) : (
                <tr key={key(row)} className="row-disagreement">
                  <td>{row.kind === 'only_a' ? <MaskletLabel id={row.a} byId={byId} /> : <em>missing</em>}</td>
                  <td>{row.kind === 'only_b' ? <MaskletLabel id={row.b} byId={byId} /> : <em>missing</em>}</td>
                  <td colSpan={3}>
                    Disagreement: only {row.kind === 'only_a' ? pair.a.username : pair.b.username} annotated this object
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

type Versions = { id: number; masks: Map<number, CompressedRle>; runs: Map<number, number[]> }[];

function GroupResolver({
  index,
  group,
  video,
  byId,
  ownerOf,
  canResolve,
  onResolved,
}: {
  index: number;
  group: ConsensusGroup;
  video: ReadyVideo;
  byId: ReadonlyMap<number, QualityMasklet>;
  ownerOf: ReadonlyMap<number, UserRef>;
  canResolve: boolean;
  onResolved: () => void;
}) {
  const single = group.masklets.length < 2;
  const [expanded, setExpanded] = useState(group.resolved === null && !single && index < 3);
  return (
    <article className="group-card" data-testid="consensus-group">
      <header className="card-header">
        <h3>
          Object {index + 1}: {single ? 'one version' : `${group.masklets.length} versions`}{' '}
          <span className="muted">· J&amp;F {formatScore(group.jf)}</span>
        </h3>
        <span className="group-status">
          {group.resolved !== null ? (
            <span className="status status-ready">
              Resolved: {maskletName(byId.get(group.resolved), group.resolved)}
            </span>
          ) : single ? (
            <span className="muted">Only one annotator made it: nothing to choose</span>
          ) : (
            <span className="status status-processing">Open</span>
          )}{' '}
          <button
            type="button"
            className="button-secondary"
            onClick={() => setExpanded((e) => !e)}
            aria-expanded={expanded}
          >
            {expanded ? 'Hide' : 'Compare'}
          </button>
        </span>
      </header>
      {expanded && (
        <GroupCompare
          group={group}
          video={video}
          byId={byId}
          ownerOf={ownerOf}
          canResolve={canResolve}
          onResolved={onResolved}
        />
      )}
    </article>
  );
}

function GroupCompare({
  group,
  video,
  byId,
  ownerOf,
  canResolve,
  onResolved,
}: {
  group: ConsensusGroup;
  video: ReadyVideo;
  byId: ReadonlyMap<number, QualityMasklet>;
  ownerOf: ReadonlyMap<number, UserRef>;
  canResolve: boolean;
  onResolved: () => void;
}) {
  const ids = group.masklets;
  const { state, reload } = useAsync(
    async (signal): Promise<Versions> => {
      const all = await Promise.all(ids.map((id) => listMaskletFrames(id, {}, signal)));
      return all.map((frames, k) => ({
        id: ids[k] as number,
        masks: new Map(frames.map((f) => [f.frame_index, f.rle])),
        runs: new Map(frames.map((f) => [f.frame_index, countsFromString(f.rle.counts)])),
      }));
    },
    [ids.join(',')],
  );
  const agreement = useMemo(
    () => (state.status === 'done' ? frameAgreement(state.data.map((v) => v.runs)) : []),
    [state],
  );
  const worst = worstFrame(agreement);
  const [picked, setPicked] = useState<number | null>(null);
  const frame = clampFrame(picked ?? worst?.frame ?? 0, video.frame_count);
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const step = (direction: 1 | -1) => {
    const frames = agreement.map((a) => a.frame);
    const next = direction === 1 ? frames.find((f) => f > frame) : [...frames].reverse().find((f) => f < frame);
    if (next !== undefined) setPicked(next);
  };

  const choose = async (chosen: number) => {
    setBusy(chosen);
    setError(null);
    try {
      await resolveConsensus(video.id, { chosen, discard: ids.filter((id) => id !== chosen) });
      onResolved();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };

  if (state.status === 'loading') return <p className="muted">Loading the versions' masks…</p>;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  const here = agreement.find((a) => a.frame === frame);
  return (
    <div className="group-compare">
      <div className="frame-picker">
        <label>
          Frame{' '}
          <input
            type="range"
            min={0}
            max={video.frame_count - 1}
            value={frame}
            onChange={(e) => setPicked(Number(e.target.value))}
            aria-label="Frame to compare"
          />
        </label>
        <span className="frame-counter">
          frame {frame} / {video.frame_count}
          <span className="muted"> · IoU here {here ? formatScore(here.iou) : '— (no mask)'}</span>
        </span>
        <div className="button-group">
          <button
            type="button"
            className="button-secondary"
            onClick={() => step(-1)}
            title="Previous frame with a mask"
          >
            ◀
          </button>
          <button type="button" className="button-secondary" onClick={() => step(1)} title="Next frame with a mask">
            ▶
          </button>
          {worst && (
            <button type="button" className="button-secondary" onClick={() => setPicked(worst.frame)}>
              Where they differ most (frame {worst.frame})
            </button>
          )}
        </div>
      </div>
      {error && <ErrorMessage error={error} />}
      <div className="version-grid">
        {state.data.map((version) => {
          const m = byId.get(version.id);
          const owner = ownerOf.get(version.id);
          const chosen = group.resolved === version.id;
          const label = `${maskletName(m, version.id)}${owner ? ` by ${owner.username}` : ''}`;
          return (
            <figure key={version.id} className={`version${chosen ? ' is-chosen' : ''}`}>
              <figcaption>
                <MaskletLabel id={version.id} byId={byId} owner={owner} />
                <span className="muted">
                  {' '}
                  · {version.masks.size} frame{version.masks.size === 1 ? '' : 's'}
                </span>
              </figcaption>
              <MaskPreview
                video={video}
                frame={frame}
                rle={version.masks.get(frame) ?? null}
                color={m?.color ?? '#ff00ff'}
                label={label}
              />
              {canResolve && ids.length > 1 && (
                <button
                  type="button"
                  disabled={busy !== null || chosen}
                  onClick={() => void choose(version.id)}
                  aria-label={`Choose this version: ${label}`}
                >
                  {chosen ? 'Chosen' : busy === version.id ? 'Saving…' : 'Choose this version'}
                </button>
              )}
            </figure>
          );
        })}
      </div>
    </div>
  );
}
