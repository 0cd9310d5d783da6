// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { BarChart, LineChart } from './charts';

afterEach(cleanup);

describe('BarChart', () => {
  it('draws bars proportional to their values on a 0-based axis, with an accessible title', () => {
    const { container } = render(
      <BarChart
        title="Frames per day"
        description="Two days"
        data={[
          { label: 'Mon', value: 10 },
          { label: 'Tue', value: 40 },
          { label: 'Wed', value: 0 },
        ]}
      />,
    );
    const svg = screen.getByRole('img', { name: 'Frames per day' });
    expect(svg.getAttribute('aria-describedby')).toBeTruthy();
    const heights = [...container.querySelectorAll('rect.chart-bar')].map((r) => Number(r.getAttribute('height')));
    expect(heights).toHaveLength(3);
    expect(heights[1]).toBeCloseTo((heights[0] as number) * 4, 6);
    expect(heights[2]).toBe(0);
    // axis 0..40 in steps of 10, and each bar says its value
    expect([...container.querySelectorAll('.chart-axis-y text')].map((t) => t.textContent)).toEqual([
      '0',
      '10',
      '20',
      '30',
      '40',
    ]);
    expect(container.querySelector('rect.chart-bar title')?.textContent).toBe('Mon: 10');
  });

  it('still has an axis when every value is zero', () => {
    const { container } = render(<BarChart title="Nothing" data={[{ label: 'Mon', value: 0 }]} />);
    expect([...container.querySelectorAll('.chart-axis-y text')].map((t) => t.textContent)).toEqual(['0', '1']);
  });
});

describe('LineChart', () => {
  it('draws one line per series through every day, and a legend', () => {
    const { container } = render(
      <LineChart
        title="Throughput"
        labels={['Nov 1', 'Nov 2', 'Nov 3']}
        series={[
          { name: 'Submitted', color: '#00f', values: [1, 2, 3] },
          { name: 'Accepted', color: '#0f0', values: [0, 1, 1] },
        ]}
      />,
    );
    const lines = [...container.querySelectorAll('polyline.chart-line')];
    expect(lines).toHaveLength(2);
    const points = (lines[0]?.getAttribute('points') ?? '').split(' ').map((p) => p.split(',').map(Number));
    expect(points).toHaveLength(3);
    // higher values are drawn higher (smaller y)
    expect((points[2] as number[])[1]).toBeLessThan((points[0] as number[])[1] as number);
    expect(screen.getByText('Accepted')).toBeTruthy();
  });
});
