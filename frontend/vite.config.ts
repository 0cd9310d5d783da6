import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Django (uvicorn) listens here in development (`make run`); BACKEND_URL points elsewhere.
const BACKEND = process.env.BACKEND_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  // Served at the site root by Django (SPA fallback) and by nginx in production.
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      // changeOrigin stays false so Django sees the browser's Host and its CSRF
      // origin check (CSRF_TRUSTED_ORIGINS) compares like with like.
      '/api': { target: BACKEND },
      '/ws': { target: BACKEND, ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    // Pure modules run in node; files that need a DOM opt in with
    // `// @vitest-environment happy-dom` so most of the suite stays fast.
    environment: 'node',
    restoreMocks: true,
  },
});
