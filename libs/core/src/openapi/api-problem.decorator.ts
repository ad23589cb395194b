/**
 * One problem+json answer a route can give: its HTTP status, the slug its `type` ends with, and
 * when. completeOpenApiDocument turns these into the operation's error responses.
 */
export interface ProblemDoc {
  status: number;
  slug: string;
  /** When it happens, for the reader ("a product with this SKU exists"). */
  when?: string;
  /** The answer carries `Retry-After` (seconds). */
  retryAfter?: boolean;
}

export const API_PROBLEMS = 'hub:openapi-problems';
export const API_OMIT_PROBLEMS = 'hub:openapi-omit-problems';

function appendMetadata<T>(key: string, items: T[]): MethodDecorator & ClassDecorator {
  // On a method the metadata goes on the handler itself (where Reflector and the document step read it).
  return ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    const holder = descriptor ? descriptor.value : target;
    Reflect.defineMetadata(key, [...((Reflect.getMetadata(key, holder) as T[] | undefined) ?? []), ...items], holder);
  }) as MethodDecorator & ClassDecorator;
}

/**
 * Documents a problem+json answer the route's own code gives (beyond the ones every route gets
 * from the document step: the API key's 400/401/403/429, 400 for a body or query, 404 for a path
 * parameter, the Idempotency-Key answers). Repeatable; on a controller it applies to every route.
 * A slug the general rules already give (400 `validation-failed`, 404 `not-found`) gets this
 * `when` added to its description: say what it means on this route.
 *
 * @example @ApiProblem(409, 'duplicate-sku', 'a product with this SKU exists')
 */
export const ApiProblem = (status: number, slug: string, when?: string, opts: { retryAfter?: boolean } = {}) =>
  appendMetadata<ProblemDoc>(API_PROBLEMS, [{ status, slug, when, ...opts }]);

/**
 * The route never gives an answer the general rules would document (e.g. no 404 for a path
 * parameter that is an enum, refused as 400 `validation-failed`). Say why at the use site.
 */
export const ApiOmitProblem = (status: number, _why: string) => appendMetadata<number>(API_OMIT_PROBLEMS, [status]);
