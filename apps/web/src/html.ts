/** The two HTML shells. Everything else is built by the page scripts, in the page's language. */
export type PageName = 'speaker' | 'listener';

const TITLES: Record<PageName, string> = {
  speaker: 'Babelcast · Speak',
  listener: 'Babelcast · Live translation',
};

export function pageHtml(page: PageName): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark light">
<title>${TITLES[page]}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/${page}.js"></script>
</head>
<body class="page-${page}">
<main id="app"><noscript>Babelcast needs JavaScript to show live captions.</noscript></main>
</body>
</html>
`;
}

/**
 * WASM compilation needs 'wasm-unsafe-eval' (the fallback Opus decoder); nothing needs eval or
 * inline scripts. 'self' covers same-origin ws:/wss: in current browsers.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');
