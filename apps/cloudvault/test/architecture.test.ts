import { readFileSync } from 'fs';
import * as path from 'path';
import { DIAGRAM } from '../build/write-architecture-diagram';

const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('architecture picture', () => {
  let diagram: string;
  beforeAll(() => {
    diagram = DIAGRAM.render();
  });

  test('README.md shows the picture of the app as it is synthesized now (npx projen cloudvault:diagram)', () => {
    expect(readme).toContain(DIAGRAM.start);
    expect(DIAGRAM.replace(readme, diagram)).toBe(readme);
  });

  test('shows every stack, the API routes to their handlers, and the event paths', () => {
    for (const stack of ['Network', 'Security', 'Data', 'Events', 'Api', 'Monitoring', 'Recovery', 'Cost']) {
      expect(diagram).toContain(`subgraph ${stack}["CloudVault-dev-${stack}"]`);
    }
    for (const fn of ['Health', 'Folders', 'Files', 'Shares', 'Analytics', 'Notifications', 'Backup']) {
      expect(diagram).toContain(`Api_Api --> Api_${fn}`);
    }
    expect(diagram).toContain('Events_Uploads --> Events_FileProcessor');
    expect(diagram).toContain('Api_Files --> Data_Table');
    expect(diagram).toContain('Api_Notifications --> Events_Notifications');
    expect(diagram).toContain('Events_AggregationJob --> Events_AnalyticsAggregator');
    // Plumbing stays out of the picture.
    expect(diagram).not.toMatch(/Custom__|BucketNotificationsHandler|DefaultKey|_Alarms/);
  });
});
