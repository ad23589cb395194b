const DECIMAL = /^(\d{1,12})(?:\.(\d{1,2}))?$/;

/**
 * Major units ("899", "899.5", "899.50", or a number) to minor units (paise) without floating
 * point: 899.10 * 100 is 89909.99999999999 in binary floating point.
 */
export function toMinorUnits(price: string | number): number {
  const text = typeof price === 'number' ? price.toFixed(2) : price.trim();
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a price in major units: ${JSON.stringify(price)}`);
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}

export function fromMinorUnits(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
