import { readFileSync } from 'fs';
import * as path from 'path';
import { DIAGRAM } from '../build/write-architecture-diagram';

const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('PersonalPod architecture picture', () => {
  let diagram: string;
  beforeAll(() => {
    diagram = DIAGRAM.render();
  });

  test('README.md shows the picture of the app as it is synthesized now (npx projen personal-pod:diagram)', () => {
    expect(readme).toContain(DIAGRAM.start);
    expect(DIAGRAM.replace(readme, diagram)).toBe(readme);
  });

  test('shows every stack, the REST API to its handlers and the queue to the indexer', () => {
    for (const stack of ['Network', 'Security', 'Data', 'Api', 'Monitoring']) {
      expect(diagram).toContain(`subgraph ${stack}["PersonalPod-dev-${stack}"]`);
    }
    expect(diagram).toContain('Api_Api --> Api_Entries');
    expect(diagram).toContain('Api_Indexer --> Data_Search');
  });
});
