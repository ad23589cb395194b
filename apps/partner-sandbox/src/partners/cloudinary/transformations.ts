/** Parses Cloudinary eager / URL transformation strings enough to know the output size and format. */

const COMPONENT = /^[a-z]{1,3}_[A-Za-z0-9_.:!#-]+$/;

export class TransformationError extends Error {}

export interface Variant {
  transformation: string;
  /** The transformation path without a trailing format, as it appears in the URL. */
  urlTransformation: string;
  width: number;
  height: number;
  format: string;
}

/** Output of one eager entry such as `c_pad,w_2000,h_2000,b_white` or `c_fill,w_800/webp`. */
export function applyTransformation(transformation: string, width: number, height: number, format: string): Variant {
  const parts = transformation.split('/').filter(Boolean);
  let outFormat = format;
  const last = parts[parts.length - 1];
  if (parts.length > 1 && last && /^[a-z0-9]{2,5}$/.test(last)) {
    outFormat = last === 'jpeg' ? 'jpg' : last;
    parts.pop();
  }
  let w = width;
  let h = height;
  for (const part of parts) {
    const opts: Record<string, string> = {};
    for (const token of part.split(',')) {
      if (!COMPONENT.test(token)) throw new TransformationError(`Invalid transformation component - ${token}`);
      const i = token.indexOf('_');
      opts[token.slice(0, i)] = token.slice(i + 1);
    }
    if (opts.f && opts.f !== 'auto') outFormat = opts.f === 'jpeg' ? 'jpg' : opts.f;
    const tw = opts.w !== undefined ? Number(opts.w) : undefined;
    const th = opts.h !== undefined ? Number(opts.h) : undefined;
    for (const [k, v] of [['w', tw], ['h', th]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v > 0 && v <= 25_000)) throw new TransformationError(`Invalid ${k === 'w' ? 'width' : 'height'} - ${opts[k]}`);
    }
    const crop = opts.c ?? 'scale';
    if (tw && th) {
      if (crop === 'fit' || crop === 'limit') {
        const s = Math.min(tw / w, th / h, crop === 'limit' ? 1 : Infinity);
        [w, h] = [Math.round(w * s), Math.round(h * s)];
      } else [w, h] = [tw, th];
    } else if (tw) [w, h] = [tw, Math.max(1, Math.round((h * tw) / w))];
    else if (th) [w, h] = [Math.max(1, Math.round((w * th) / h)), th];
  }
  return { transformation, urlTransformation: parts.join('/'), width: w, height: h, format: outFormat };
}
