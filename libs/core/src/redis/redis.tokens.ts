/** The shared ioredis client for commands (not for blocking BullMQ connections). */
export const REDIS = Symbol('hub:redis');
/** A dedicated ioredis client in subscriber mode for pub/sub fan-out (cache invalidation). */
export const REDIS_SUBSCRIBER = Symbol('hub:redis-subscriber');
