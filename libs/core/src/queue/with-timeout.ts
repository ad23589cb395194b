/**
 * Settles as `p` does, or rejects with `message` after `ms`. Queue connections retry forever
 * (`maxRetriesPerRequest: null`, see redis-connection.ts), so a queue call made on a request's path
 * must be bounded by its caller, or the request hangs for as long as Redis is unreachable.
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
