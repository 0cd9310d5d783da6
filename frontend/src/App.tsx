import { Route, Routes } from 'react-router';
import { AnnotatePage } from './features/annotate/AnnotatePage';
import { InvitePage } from './features/auth/InvitePage';
import { LoginPage } from './features/auth/LoginPage';
import { ExportPage } from './features/export/ExportPage';
import { ImportPage } from './features/export/ImportPage';
import { ManagePage } from './features/manage/ManagePage';
import { ProjectListPage } from './features/projects/ProjectListPage';
import { ProjectPage } from './features/projects/ProjectPage';
import { ConsensusPage } from './features/quality/ConsensusPage';
import { DashboardPage } from './features/quality/DashboardPage';
import { ReviewPage } from './features/review/ReviewPage';
import { ReviewQueuePage } from './features/review/ReviewQueuePage';
import { UsersPage } from './features/users/UsersPage';
import { VideoViewerPage } from './features/videos/VideoViewerPage';
import { AppLayout } from './ui/AppLayout';
import { NotFoundPage } from './ui/NotFoundPage';

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/invite" element={<InvitePage />} />
      <Route element={<AppLayout />}>
        <Route index element={<ProjectListPage />} />
        <Route path="projects/:projectId" element={<ProjectPage />} />
        <Route path="projects/:projectId/review" element={<ReviewQueuePage />} />
        <Route path="projects/:projectId/review/:assignmentId" element={<ReviewPage />} />
        <Route path="projects/:projectId/quality" element={<DashboardPage />} />
        <Route path="projects/:projectId/manage" element={<ManagePage />} />
        <Route path="projects/:projectId/manage/:tab" element={<ManagePage />} />
        <Route path="projects/:projectId/export" element={<ExportPage />} />
        <Route path="projects/:projectId/import" element={<ImportPage />} />
        <Route path="users" element={<UsersPage />} />
        <Route path="videos/:videoId" element={<VideoViewerPage />} />
        <Route path="videos/:videoId/annotate" element={<AnnotatePage />} />
        <Route path="videos/:videoId/consensus" element={<ConsensusPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
