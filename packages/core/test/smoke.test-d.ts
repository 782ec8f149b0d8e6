import { expectTypeOf, it } from 'vitest';
import { CancellationSource, type CancellationToken } from '@x/core';

it('exposes the token type', () => {
  expectTypeOf(new CancellationSource().token).toEqualTypeOf<CancellationToken>();
});
