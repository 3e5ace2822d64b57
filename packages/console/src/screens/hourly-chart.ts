import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

type Status = 'succeeded' | 'failed' | 'pending';
const COLORS: Record<Status, string> = { succeeded: '#1a7f37', failed: '#cf222e', pending: '#9a6700' };
// Stacked bottom-up; drawn top-down so that each shorter bar lies over the taller one.
const STACK: Status[] = ['succeeded', 'failed', 'pending'];

/** Stacked bars of deliveries per hour by status, sized to its container and redrawn on resize. */
export function drawHourlyChart(
  box: HTMLElement,
  hours: number[],
  perHour: Record<Status, number[]>,
): { destroy(): void } {
  const bars = uPlot.paths.bars?.({ size: [0.7, 32] });
  const stacked = STACK.map((_, level) =>
    hours.map((_, i) =>
      STACK.slice(0, level + 1).reduce((sum, status) => sum + (perHour[status][i] ?? 0), 0),
    ),
  );
  const drawOrder = [2, 1, 0];
  const width = () => Math.max(280, box.clientWidth);
  const chart = new uPlot(
    {
      width: width(),
      height: 220,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      // Whole deliveries only: no 0.2 ticks.
      axes: [
        {},
        { size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000] },
      ],
      series: [
        {},
        ...drawOrder.map((level) => {
          const status = STACK[level] as Status;
          return {
            label: status,
            stroke: COLORS[status],
            fill: COLORS[status],
            paths: bars,
            points: { show: false },
            value: (_u: uPlot, _v: number | null, _s: number, i: number | null) =>
              i === null ? '—' : String(perHour[status][i] ?? 0),
          };
        }),
      ],
    },
    [hours, ...drawOrder.map((level) => stacked[level] ?? [])],
    box,
  );
  const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: 220 }));
  resize.observe(box);
  return {
    destroy() {
      resize.disconnect();
      chart.destroy();
    },
  };
}
