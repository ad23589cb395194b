/**
 * Whether Postgres can hold a string in text or jsonb: it refuses NUL and lone UTF-16 surrogates
 * (from a `\ud800`-style escape). Checked where client or partner text is written, so such a value
 * is a 4xx (or a stored refusal) rather than a 500 from the database.
 */
export const storableText = (s: string): boolean => !s.includes('\u0000') && s.isWellFormed();
