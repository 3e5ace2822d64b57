import { defineConfig } from 'vite';

// Served by the Hooklane server at /ui; assets get content hashes so they can be cached for a year.
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // `npm run dev`: the API calls go to a running server (HOOKLANE_URL, default the npm start address).
  server: {
    proxy: Object.fromEntries(
      ['/v1', '/healthz'].map((path) => [path, process.env.HOOKLANE_URL ?? 'http://127.0.0.1:8080']),
    ),
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
});
