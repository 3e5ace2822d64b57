import { defineConfig } from 'vite';

// Served by the Hooklane server at /ui; assets get content hashes so they can be cached for a year.
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
});
