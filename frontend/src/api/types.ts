/**
 * The API's types, from `schema.ts` (generated from the backend's OpenAPI schema by
 * `npm run api-types`; never edited by hand). Modules in api/ name these shapes for the app.
 */
import type { components } from './schema';

export type Schemas = components['schemas'];

/**
 * `T` with some fields typed more precisely than the schema does (it types a Django CharField
 * with a fixed set of values as any string). The rest follows the schema as it changes.
 */
export type Narrowed<T, N extends Partial<Record<keyof T, unknown>>> = Omit<T, keyof N> & N;
