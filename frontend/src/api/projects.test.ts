import { describe, expectTypeOf, it } from 'vitest';
import type { Label, Task } from './projects';

// Checked by the type checker (npm run typecheck / lint) against the generated schema: the fields
// the workspace reads from a label, exactly, and a task's progress.
describe('generated project types', () => {
  it('types a label as {id, name, color, order, hotkey}', () => {
    expectTypeOf<Label>().toEqualTypeOf<{
      id: number;
      name: string;
      color: string;
      order: number;
      hotkey: number | null;
    }>();
  });
  it('gives a task its progress', () => {
    expectTypeOf<Task['progress']>().toEqualTypeOf<{
      frames_total: number;
      frames_annotated: number;
      masklets: number;
      submitted: number;
      accepted: number;
    }>();
    expectTypeOf<Task['stage']>().toEqualTypeOf<'annotation' | 'review' | 'done'>();
  });
});
