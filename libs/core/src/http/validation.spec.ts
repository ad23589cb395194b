import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
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

/** The `errors` the pipe answers for a body, or null when it passes. */
async function errorsFor(body: unknown): Promise<{ field: string; message: string }[] | null> {
  try {
    await createValidationPipe().transform(body, { type: 'body', metatype: Body });
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

  it('lets a valid body through and skips absent optional fields', async () => {
    assert.equal(await errorsFor({ description: 'ok', inner: { label: 'a' } }), null);
  });
});
