import { strict as assert } from 'node:assert';
import { CombinedStatements } from '../../outbox/combined-statements.js';
import { tableNames } from '../../outbox/table-name.js';

describe('outbox: the combined statements of stageWith', () => {
  const text = 'INSERT INTO orders (id, total) VALUES ($1, $2)';

  it('builds a text once and hands the same combined statement back, its staging numbered after the values', () => {
    const statements = new CombinedStatements(tableNames('eventwire_outbox'));
    const first = statements.of(text, 2);
    assert.equal(statements.of(text, 2), first, 'kept');
    assert.equal(first.highest, 2);
    assert.match(first.text, /^WITH eventwire_staged AS \(INSERT INTO "eventwire_outbox" .* VALUES \(\$3, \$4, \$5, \$6, \$7::jsonb, \$4, \$8, \$9::jsonb\)\) INSERT INTO orders/);
    assert.match(first.name, /^eventwire_[\w-]{22}$/);
  });

  it('builds it again for another number of values: the staging parameters move, and so does the name', () => {
    const statements = new CombinedStatements(tableNames('eventwire_outbox'));
    const two = statements.of(text, 2);
    const three = statements.of(text, 3);
    assert.notEqual(three.text, two.text);
    assert.notEqual(three.name, two.name);
    assert.match(three.text, /VALUES \(\$4, \$5, /);
    assert.equal(statements.of(text, 2).text, two.text);
  });
});
