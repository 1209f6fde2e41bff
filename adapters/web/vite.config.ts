// Builds the web application into dist/, which journeyd serves from its web.root.
// journeyd's Content-Security-Policy allows scripts from 'self' only: no inline
// scripts, no eval, so nothing here may emit either.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    // The module preload polyfill is bundled, never inlined; keep assets as files.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
