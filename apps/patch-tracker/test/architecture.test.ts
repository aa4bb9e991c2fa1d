import { readFileSync } from 'fs';
import * as path from 'path';
import { DIAGRAM } from '../build/write-architecture-diagram';

const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('patch tracker architecture picture', () => {
  let diagram: string;
  beforeAll(() => {
    diagram = DIAGRAM.render();
  });

  test('README.md shows the picture of the app as it is synthesized now (npx projen patch-tracker:diagram)', () => {
    expect(readme).toContain(DIAGRAM.start);
    expect(DIAGRAM.replace(readme, diagram)).toBe(readme);
  });

  test('shows every stack, the schedules driving the fetchers and who touches which table', () => {
    for (const stack of ['Security', 'Data', 'Fetch', 'Api', 'Monitoring']) expect(diagram).toContain(`subgraph ${stack}["PatchTracker-dev-${stack}"]`);
    for (const edge of [
      'Fetch_PatchJob --> Fetch_PatchFetcher',
      'Fetch_DiscussionJob --> Fetch_DiscussionFetcher',
      'Fetch_PatchFetcher --> Data_Patches',
      'Fetch_DiscussionFetcher --> Data_Discussions',
      'Api_Api --> Api_Patches',
      'Api_Patches --> Data_Patches',
    ]) expect(diagram).toContain(edge);
    expect(diagram).not.toContain('Fetch_PatchFetcher --> Data_Discussions');
  });
});
