import { strict as assert } from 'node:assert';
import { isCi } from './support/ci.js';

describe('isCi', () => {
  it('counts any non-empty CI value as CI, whatever its case', () => {
    for (const value of ['true', 'TRUE', 'True', '1', 'yes', 'github-actions', ' true ']) assert.equal(isCi({ CI: value }), true, `CI=${JSON.stringify(value)}`);
  });

  it('does not count an unset, empty, false or 0 CI as CI', () => {
    assert.equal(isCi({}), false, 'CI unset');
    for (const value of ['', '  ', 'false', 'FALSE', 'False', '0', ' 0 ']) assert.equal(isCi({ CI: value }), false, `CI=${JSON.stringify(value)}`);
  });

  it('reads process.env when given no environment', () => {
    const saved = process.env.CI;
    try {
      process.env.CI = '1';
      assert.equal(isCi(), true);
      process.env.CI = 'false';
      assert.equal(isCi(), false);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });
});
