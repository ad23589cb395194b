/** Listings Items API 2021-08-01 model: attribute validation and the projection shown in state. */

export type Attributes = Record<string, unknown[]>;

export interface ListingIssue {
  code: string;
  message: string;
  severity: 'ERROR' | 'WARNING';
  attributeNames: string[];
}

export interface StoredListing {
  sku: string;
  asin: string;
  productType: string;
  requirements: string;
  attributes: Attributes;
  status: 'BUYABLE' | 'DELETED';
  createdAt: string;
  updatedAt: string;
}

const first = (attrs: Attributes, name: string): Record<string, unknown> | undefined => {
  const v = attrs[name]?.[0];
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
};

const isHttpUrl = (s: unknown): boolean => {
  if (typeof s !== 'string') return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

const required = (name: string): ListingIssue => ({
  code: '90220',
  message: `'${name}' is required but not supplied.`,
  severity: 'ERROR',
  attributeNames: [name],
});

const invalid = (name: string, why: string): ListingIssue => ({
  code: '4000001',
  message: `The provided value for '${name}' is invalid: ${why}.`,
  severity: 'ERROR',
  attributeNames: [name],
});

/**
 * Attribute-level checks Amazon reports as `issues` with status INVALID (not as a 400): a full
 * listing needs a title and price; an offer-only listing only needs the offer attributes.
 */
export function validateAttributes(attrs: Attributes, requirements: string): ListingIssue[] {
  const issues: ListingIssue[] = [];
  for (const [name, value] of Object.entries(attrs)) {
    if (!Array.isArray(value)) issues.push(invalid(name, 'attribute values must be an array'));
  }
  if (issues.length) return issues;

  if (requirements !== 'LISTING_OFFER_ONLY') {
    const title = first(attrs, 'item_name');
    if (!title) issues.push(required('item_name'));
    else if (typeof title.value !== 'string' || !title.value.trim()) issues.push(invalid('item_name', 'value must be a non-empty string'));
    else if (title.value.length > 200) issues.push(invalid('item_name', 'value must be at most 200 characters'));
  }
  if (requirements !== 'LISTING_PRODUCT_ONLY') {
    const price = first(attrs, 'list_price');
    if (!price) {
      if (requirements !== 'LISTING') issues.push(required('list_price'));
    } else {
      const value = price.value ?? price.value_with_tax;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) issues.push(invalid('list_price', 'value must be a non-negative number'));
      if (typeof price.currency !== 'string' || !/^[A-Z]{3}$/.test(price.currency)) issues.push(invalid('list_price', 'currency must be an ISO 4217 code'));
    }
  }
  if (attrs.fulfillment_availability !== undefined) {
    const fa = first(attrs, 'fulfillment_availability');
    if (!fa) issues.push(invalid('fulfillment_availability', 'expected one entry'));
    else {
      if (fa.fulfillment_channel_code !== 'DEFAULT') issues.push(invalid('fulfillment_availability', "fulfillment_channel_code must be 'DEFAULT' for merchant-fulfilled offers"));
      if (!Number.isInteger(fa.quantity) || (fa.quantity as number) < 0) issues.push(invalid('fulfillment_availability', 'quantity must be a non-negative integer'));
    }
  }
  if (attrs.main_product_image_locator !== undefined) {
    const img = first(attrs, 'main_product_image_locator');
    if (!img || !isHttpUrl(img.media_location)) issues.push(invalid('main_product_image_locator', 'media_location must be an http(s) URL'));
  }
  return issues;
}

/** What `/_sandbox/state` shows per SKU: the values tests and the demo check for convergence. */
export function projectListing(l: StoredListing) {
  const price = first(l.attributes, 'list_price') ?? offerPrice(l.attributes);
  return {
    quantity: (first(l.attributes, 'fulfillment_availability')?.quantity as number | undefined) ?? 0,
    imageUrl: (first(l.attributes, 'main_product_image_locator')?.media_location as string | undefined) ?? null,
    title: (first(l.attributes, 'item_name')?.value as string | undefined) ?? null,
    price: ((price?.value ?? price?.value_with_tax) as number | undefined) ?? null,
    currency: (price?.currency as string | undefined) ?? null,
    status: l.status,
    productType: l.productType,
    updatedAt: l.updatedAt,
  };
}

/** The selling price when sent as SP-API's `purchasable_offer` instead of `list_price`. */
function offerPrice(attrs: Attributes): Record<string, unknown> | undefined {
  const offer = first(attrs, 'purchasable_offer');
  const schedule = (offer?.our_price as any)?.[0]?.schedule?.[0];
  return schedule ? { value_with_tax: schedule.value_with_tax, currency: offer?.currency } : undefined;
}

/** The `summaries` entry of a GET, as SP-API shapes it. */
export function summaryOf(l: StoredListing, marketplaceId: string) {
  const p = projectListing(l);
  return {
    marketplaceId,
    asin: l.asin,
    productType: l.productType,
    conditionType: 'new_new',
    status: p.quantity > 0 ? ['BUYABLE', 'DISCOVERABLE'] : ['DISCOVERABLE'],
    itemName: p.title,
    createdDate: l.createdAt,
    lastUpdatedDate: l.updatedAt,
    ...(p.imageUrl ? { mainImage: { link: p.imageUrl, height: 2000, width: 2000 } } : {}),
  };
}
