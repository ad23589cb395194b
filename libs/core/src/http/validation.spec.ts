import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { ProblemException } from './problem';
import { createValidationPipe } from './validation';

class Inner {
  @IsString() @MaxLength(10) label!: string;
}

class Body {
  @IsString() @MaxLength(20) description!: string;
  @IsOptional() @IsString() note?: string;
  @ValidateNested() @Type(() => Inner) inner!: Inner;
}

class Counted {
  @IsInt() @Min(0) @Max(1000) onHand!: number;
  @IsOptional() @IsString() note?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(3) @IsString({ each: true }) tags?: string[];
}

class Page {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() cursor?: string;
}

/** The `errors` the pipe answers for a body (or, with `type`, a query), or null when it passes. */
async function errorsFor(body: unknown, metatype: new () => object = Body, type: 'body' | 'query' = 'body'): Promise<{ field: string; message: string }[] | null> {
  try {
    await createValidationPipe().transform(body, { type, metatype });
    return null;
  } catch (err) {
    assert.ok(err instanceof ProblemException);
    assert.equal(err.slug, 'validation-failed');
    return err.problem.extensions!.errors as { field: string; message: string }[];
  }
}

describe('validation pipe', () => {
  it('names a missing required field once, as required, however many constraints it has', async () => {
    assert.deepEqual(await errorsFor({ inner: { label: 'a' } }), [{ field: 'description', message: 'is required' }]);
    assert.deepEqual(await errorsFor({ description: 'd', inner: {} }), [{ field: 'inner.label', message: 'is required' }]);
  });

  it('keeps every constraint message for a present but bad value, and never echoes the value', async () => {
    const errors = await errorsFor({ description: 'x'.repeat(21), note: 5, inner: { label: 'a' }, extra: 'secret-ish' });
    assert.deepEqual(
      [...errors!].sort((a, b) => a.field.localeCompare(b.field)),
      [
        { field: 'description', message: 'must be shorter than or equal to 20 characters' },
        { field: 'extra', message: 'property extra should not exist' },
        { field: 'note', message: 'must be a string' },
      ],
    );
    assert.ok(!JSON.stringify(errors).includes('secret-ish'));
  });

  it('says a wrong type once, without the range and length messages that follow from it', async () => {
    assert.deepEqual(await errorsFor({ onHand: '5' }, Counted), [{ field: 'onHand', message: 'must be an integer number' }]);
    assert.deepEqual(await errorsFor({ onHand: 5000 }, Counted), [{ field: 'onHand', message: 'must not be greater than 1000' }]);
  });

  it('says null is refused, a list is not one value, and an array body is not an object', async () => {
    assert.deepEqual(await errorsFor({ onHand: null }, Counted), [{ field: 'onHand', message: 'must not be null' }]);
    assert.deepEqual(await errorsFor({ onHand: 1, note: null }, Counted), null, '@IsOptional still takes null');
    assert.deepEqual(await errorsFor({ onHand: 1, note: ['a', 'b'] }, Counted), [{ field: 'note', message: 'must be a single value, not a list' }]);
    assert.deepEqual(await errorsFor([{ onHand: 1 }], Counted), [{ field: '(body)', message: 'must be a JSON object, not an array' }]);
    // A list field whose elements fail keeps its own messages.
    assert.deepEqual(await errorsFor({ onHand: 1, tags: ['ok', 5] }, Counted), [{ field: 'tags', message: 'each value in tags must be a string' }]);
    assert.deepEqual(await errorsFor({ onHand: 1, tags: 'one' }, Counted), [{ field: 'tags', message: 'must be an array' }]);
  });

  it('says a query parameter given twice must be given once, even after a numeric transform', async () => {
    assert.deepEqual(await errorsFor({ limit: ['1', '2'], cursor: ['a', 'b'] }, Page, 'query'), [
      { field: 'limit', message: 'must be given once' },
      { field: 'cursor', message: 'must be given once' },
    ]);
    assert.deepEqual(await errorsFor({ limit: '0' }, Page, 'query'), [{ field: 'limit', message: 'must not be less than 1' }]);
    // An undeclared parameter given twice is still one that should not exist.
    assert.deepEqual(await errorsFor({ foo: ['1', '2'] }, Page, 'query'), [{ field: 'foo', message: 'property foo should not exist' }]);
    assert.equal(await errorsFor({ limit: '5' }, Page, 'query'), null);
  });

  it('lets a valid body through and skips absent optional fields', async () => {
    assert.equal(await errorsFor({ description: 'ok', inner: { label: 'a' } }), null);
  });
});
