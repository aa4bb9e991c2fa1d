import { readFileSync } from 'fs';
import * as path from 'path';
import { DIAGRAM } from '../build/write-architecture-diagram';

const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('Personal OS architecture picture', () => {
  let diagram: string;
  beforeAll(() => {
    diagram = DIAGRAM.render();
  });

  test('README.md shows the picture of the app as it is synthesized now (npx projen personal-os:diagram)', () => {
    expect(readme).toContain(DIAGRAM.start);
    expect(DIAGRAM.replace(readme, diagram)).toBe(readme);
  });

  test('every stack; the API routes to each handler; the data handlers and the backup reach the table', () => {
    for (const stack of ['Security', 'Data', 'Api', 'Recovery', 'Monitoring']) expect(diagram).toContain(`subgraph ${stack}["PersonalOs-dev-${stack}"]`);
    for (const fn of ['Health', 'Me', 'Tasks', 'Goals', 'Habits', 'Metrics', 'Wallet']) expect(diagram).toContain(`Api_Api --> Api_${fn}`);
    for (const fn of ['Tasks', 'Goals', 'Habits', 'Metrics', 'Wallet']) expect(diagram).toContain(`Api_${fn} --> Data_Table`);
    expect(diagram).not.toContain('Api_Health --> Data_Table');
    expect(diagram).toContain('Recovery_Backup --> Data_Table');
  });
});
