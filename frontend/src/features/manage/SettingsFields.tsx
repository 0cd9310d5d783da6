import type { ProjectSettings } from '../../api/projects';

export type SettingsDraft = Required<
  Pick<ProjectSettings, 'name' | 'description' | 'guidelines' | 'frame_step' | 'verifications_required' | 'consensus_k'>
>;

const number = (value: string, fallback: number): number => {
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : fallback;
};

/** The project's settings as form fields, shared by the new-project form and the Settings tab. */
export function SettingsFields({
  draft,
  onChange,
}: {
  draft: SettingsDraft;
  onChange: (draft: SettingsDraft) => void;
}) {
  const set = <K extends keyof SettingsDraft>(key: K, value: SettingsDraft[K]) => onChange({ ...draft, [key]: value });
  return (
    <>
      <label>
        Name
        <input required maxLength={200} value={draft.name} onChange={(e) => set('name', e.target.value)} />
      </label>
      <label>
        Description
        <textarea rows={2} value={draft.description} onChange={(e) => set('description', e.target.value)} />
      </label>
      <div className="number-row">
        <label>
          Annotate every Nth frame
          <input
            type="number"
            min={1}
            max={1000}
            required
            value={draft.frame_step}
            onChange={(e) => set('frame_step', number(e.target.value, draft.frame_step))}
          />
          <span className="hint">SA-V annotates every 4th frame of 24 fps video.</span>
        </label>
        <label>
          Verifications per masklet
          <input
            type="number"
            min={1}
            max={20}
            required
            value={draft.verifications_required}
            onChange={(e) => set('verifications_required', number(e.target.value, draft.verifications_required))}
          />
          <span className="hint">Satisfactory verdicts before a masklet is accepted.</span>
        </label>
        <label>
          Consensus annotators (k)
          <input
            type="number"
            min={1}
            max={20}
            required
            value={draft.consensus_k}
            onChange={(e) => set('consensus_k', number(e.target.value, draft.consensus_k))}
          />
          <span className="hint">1 = off; k &gt; 1: k annotators label each video independently.</span>
        </label>
      </div>
      <label>
        Annotation guidelines
        <textarea
          rows={6}
          value={draft.guidelines}
          onChange={(e) => set('guidelines', e.target.value)}
          placeholder="What to annotate, how to name objects, what counts as a good mask…"
        />
      </label>
    </>
  );
}

export const NEW_PROJECT: SettingsDraft = {
  name: '',
  description: '',
  guidelines: '',
  frame_step: 1,
  verifications_required: 1,
  consensus_k: 1,
};
