import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createValidationPipe, ProblemException } from '@hub/core';
import { CreateProductDto, UpdateProductDto } from './product.dto';

const valid = {
  sku: 'NS-TEXT-001',
  name: 'Vitamin C Serum',
  price: 899,
  currency: 'INR',
  stock: 5,
  images: ['https://images.novaskin.example/a.jpg'],
  category: 'serum',
  description: 'A serum.',
};

/** The API's own pipe: the transformed body, or the `errors` of its 400. */
async function check(metatype: typeof CreateProductDto | typeof UpdateProductDto, body: unknown): Promise<{ value?: any; errors?: { field: string; message: string }[] }> {
  try {
    return { value: await createValidationPipe().transform(body, { type: 'body', metatype }) };
  } catch (err) {
    assert.ok(err instanceof ProblemException);
    return { errors: err.problem.extensions!.errors as { field: string; message: string }[] };
  }
}

const fieldsOf = (r: { errors?: { field: string }[] }) => (r.errors ?? []).map((e) => e.field);

// 😀 is U+1F600: one code point, two UTF-16 code units (a surrogate pair), as Amazon and Nykaa count.
const emoji = (n: number) => '😀'.repeat(n);

describe('product text is refused where Amazon or Nykaa would refuse it', () => {
  it('a name or category of whitespace only is a 400 naming the field, on create and on PATCH', async () => {
    for (const blank of ['   ', '\t\n', '\u00a0\u2003', '']) {
      assert.deepEqual(fieldsOf(await check(CreateProductDto, { ...valid, name: blank })), ['name'], JSON.stringify(blank));
      assert.deepEqual(fieldsOf(await check(CreateProductDto, { ...valid, category: blank })), ['category'], JSON.stringify(blank));
      assert.deepEqual(fieldsOf(await check(UpdateProductDto, { name: blank })), ['name'], JSON.stringify(blank));
      assert.deepEqual(fieldsOf(await check(UpdateProductDto, { category: blank })), ['category'], JSON.stringify(blank));
    }
    const [error] = (await check(CreateProductDto, { ...valid, name: '   ' })).errors!;
    assert.equal(error.message, 'must not be empty or only whitespace');
  });

  it('name and category are trimmed; the description is kept as sent and may be blank (Nykaa takes it optional)', async () => {
    const { value } = await check(CreateProductDto, { ...valid, name: '  Vitamin C Serum \n', category: '\tserum ', description: '  indented\n' });
    assert.equal(value.name, 'Vitamin C Serum');
    assert.equal(value.category, 'serum');
    assert.equal(value.description, '  indented\n');
    assert.equal((await check(UpdateProductDto, { name: ' Renamed ' })).value.name, 'Renamed');
    assert.equal((await check(UpdateProductDto, { description: '   ' })).errors, undefined);
  });

  it('lengths are counted in UTF-16 code units: 200 emoji are 400 units, over the 200 Amazon and Nykaa take', async () => {
    assert.deepEqual(fieldsOf(await check(CreateProductDto, { ...valid, name: emoji(200) })), ['name']);
    assert.deepEqual(fieldsOf(await check(CreateProductDto, { ...valid, name: emoji(100) + 'x' })), ['name']);
    assert.equal((await check(CreateProductDto, { ...valid, name: emoji(100) })).errors, undefined, '100 emoji are exactly 200 units');
    assert.deepEqual(fieldsOf(await check(UpdateProductDto, { name: emoji(101) })), ['name']);
    // Nykaa's category (100) and description (5000).
    assert.deepEqual(fieldsOf(await check(CreateProductDto, { ...valid, category: emoji(51) })), ['category']);
    assert.equal((await check(CreateProductDto, { ...valid, category: emoji(50) })).errors, undefined);
    assert.deepEqual(fieldsOf(await check(UpdateProductDto, { category: emoji(51) })), ['category']);
    assert.deepEqual(fieldsOf(await check(CreateProductDto, { ...valid, description: emoji(2501) })), ['description']);
    assert.equal((await check(CreateProductDto, { ...valid, description: emoji(2500) })).errors, undefined);
    assert.deepEqual(fieldsOf(await check(UpdateProductDto, { description: emoji(2501) })), ['description']);
    // A variation selector is a code unit of its own too ("❤️" is 2 units), which class-validator did not count.
    assert.deepEqual(fieldsOf(await check(CreateProductDto, { ...valid, name: '❤️'.repeat(101) })), ['name']);
    const [error] = (await check(CreateProductDto, { ...valid, name: emoji(200) })).errors!;
    assert.match(error.message, /at most 200 characters .*UTF-16/);
  });

  it('a price Nykaa cannot take (10^9 or more) is a 400 naming price, on create and on PATCH', async () => {
    for (const price of [9999999999.99, '9999999999.99', 1e9, '1000000000.00']) {
      assert.deepEqual(fieldsOf(await check(CreateProductDto, { ...valid, price })), ['price'], String(price));
      assert.deepEqual(fieldsOf(await check(UpdateProductDto, { price })), ['price'], String(price));
    }
    assert.equal((await check(CreateProductDto, { ...valid, price: '999999999.99' })).errors, undefined);
  });
});
