/**
 * The review screen's data, loaded once per assignment: the project, the reviewer's own
 * assignment (from the review queue), its video, the masklet's frames and the earlier comments.
 * "gone" when the assignment in the URL is not (or no longer) this reviewer's; a string when the
 * video has no frames to show.
 */
import { listMaskletFrames, type MaskletFrame } from '../../api/masklets';
import { getProject, type Project } from '../../api/projects';
import { getReviewQueue, listComments, type ReviewAssignment, type ReviewComment } from '../../api/reviews';
import { getVideo, isReady, type ReadyVideo } from '../../api/videos';
import { useAsync } from '../../ui/useAsync';

export interface ReviewData {
  project: Project;
  assignment: ReviewAssignment;
  video: ReadyVideo;
  frames: MaskletFrame[];
  comments: ReviewComment[];
}

export type Loaded = { kind: 'gone'; project: Project } | ({ kind: 'ok' } & ReviewData);

export function useReviewData(projectId: number, assignmentId: number) {
  return useAsync(
    async (signal): Promise<Loaded | string> => {
      const [project, queue] = await Promise.all([getProject(projectId, signal), getReviewQueue(projectId, signal)]);
      const assignment = queue.my_assignment;
      if (assignment === null || assignment.id !== assignmentId) return { kind: 'gone', project };
      const [video, frames, comments] = await Promise.all([
        getVideo(assignment.video.id, signal),
        listMaskletFrames(assignment.masklet.id, {}, signal),
        listComments(assignment.masklet.id, signal),
      ]);
      if (!isReady(video)) return `${video.name} has no frames to show (${video.status}).`;
      return { kind: 'ok', project, assignment, video, frames, comments };
    },
    [projectId, assignmentId],
  );
}
