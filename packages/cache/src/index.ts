export {
  AsyncCache,
  type AsyncCacheOptions,
  type CacheFactory,
  type CacheStats,
  type GetOrSetOptions,
  type SetOptions,
} from './async-cache.js';
