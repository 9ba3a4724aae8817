// What a self-contained report page inlines: uPlot (its attribution kept, its homepage URL dropped
// so the page names no address) and the page's own script and styles. Read once per process.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface PageAssets {
  uplotJs: string;
  uplotCss: string;
  pageJs: string;
  pageCss: string;
}

const cache = new Map<string, PageAssets>();

/** `pageJs` and `pageCss` are the page's own files, by absolute path. */
export function pageAssets(pageJsPath: string, pageCssPath: string): PageAssets {
  const key = `${pageJsPath}\u0000${pageCssPath}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const read = (path: string) => readFileSync(path, 'utf8');
  const version = (JSON.parse(read(require.resolve('uplot/package.json'))) as { version: string }).version;
  const assets: PageAssets = {
    uplotJs: read(require.resolve('uplot/dist/uPlot.iife.min.js')).replace(
      /^\/\*![^*]*\*\//,
      `/*! uPlot v${version} (MIT License, Copyright (c) 2022 Leon Sorokin; github.com/leeoniya/uPlot) */`,
    ),
    uplotCss: read(require.resolve('uplot/dist/uPlot.min.css')),
    pageJs: read(pageJsPath),
    pageCss: read(pageCssPath),
  };
  cache.set(key, assets);
  return assets;
}

/** Inlined code must not close its element early. */
export function rawText(text: string, element: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${element})`, 'gi'), '<\\/$1');
}

/** Text and attribute values for the page's HTML. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
