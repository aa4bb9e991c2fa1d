import { readFileSync } from 'fs';
import * as path from 'path';
import { DIAGRAM } from '../build/write-architecture-diagram';

const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('command center architecture picture', () => {
  let diagram: string;
  beforeAll(() => {
    diagram = DIAGRAM.render();
  });

  test('README.md shows the picture of the app as it is synthesized now (npx projen command-center:diagram)', () => {
    expect(readme).toContain(DIAGRAM.start);
    expect(DIAGRAM.replace(readme, diagram)).toBe(readme);
  });

  test('shows every stack and the REST API to the commands function', () => {
    for (const stack of ['Network', 'Security', 'Data', 'Api', 'Monitoring']) {
      expect(diagram).toContain(`subgraph ${stack}["CommandCenter-dev-${stack}"]`);
    }
    expect(diagram).toContain('Api_Api --> Api_Commands');
  });
});
