/** A valid product body for POST /v1/products: fictional, with one image named after the SKU. `extra` overrides or adds fields. */
export const sampleProduct = (sku: string, extra: Record<string, unknown> = {}) => ({
  sku,
  name: `NovaSkin Test ${sku}`,
  price: 899,
  currency: 'INR',
  stock: 25,
  images: [`https://images.novaskin.example/test/${sku.toLowerCase()}.jpg`],
  category: 'serum',
  description: 'SAMPLE DATA - fictional test product',
  ...extra,
});
