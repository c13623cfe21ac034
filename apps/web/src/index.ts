export { buildWebAssets, ensureWebAssets, freshAssetsDir } from './build.ts';
export { pageHtml } from './html.ts';
export { type WebRoutesOptions, webRoutes } from './routes.ts';
