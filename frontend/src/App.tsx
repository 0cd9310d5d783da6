import { Route, Routes } from 'react-router';
import { AnnotatePage } from './features/annotate/AnnotatePage';
import { LoginPage } from './features/auth/LoginPage';
import { ProjectListPage } from './features/projects/ProjectListPage';
import { ProjectPage } from './features/projects/ProjectPage';
import { VideoViewerPage } from './features/videos/VideoViewerPage';
import { AppLayout } from './ui/AppLayout';
import { NotFoundPage } from './ui/NotFoundPage';

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<AppLayout />}>
        <Route index element={<ProjectListPage />} />
        <Route path="projects/:projectId" element={<ProjectPage />} />
        <Route path="videos/:videoId" element={<VideoViewerPage />} />
        <Route path="videos/:videoId/annotate" element={<AnnotatePage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
