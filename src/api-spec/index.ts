export { apiDocument, apiDocumentYaml, type DocumentOptions, openApiPath } from './document.js';
export { withApiDocument } from './routes.js';
