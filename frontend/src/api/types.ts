/**
 * The API's types, from `schema.ts` (generated from the backend's OpenAPI schema by
 * `npm run api-types`; never edited by hand). Modules in api/ name these shapes for the app.
 */
import type { components } from './schema';

export type Schemas = components['schemas'];
