import { describe, expect, it } from 'vitest';
import { CancellationSource } from '@x/core';

describe('smoke', () => {
  it('cancels a token', () => {
    const source = new CancellationSource();
    source.cancel('why');
    expect(source.token.reason).toBe('why');
  });
});
