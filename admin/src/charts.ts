import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

// Only what the overview draws, so the bundle stays small.
Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#1f2933';

export const PALETTE = [
  '#1f6feb',
  '#d9480f',
  '#2b8a3e',
  '#862e9c',
  '#c92a2a',
  '#0b7285',
  '#e67700',
];

const drawn = new Set<Chart>();

/** Charts of the page being left: their canvases are about to go. */
export function destroyCharts(): void {
  for (const chart of drawn) chart.destroy();
  drawn.clear();
}

/**
 * A chart in a labelled figure: the canvas is an image to assistive technology, described by
 * `summary`; the same numbers are in the table the caller puts beside it.
 */
export function chartFigure(
  id: string,
  title: string,
  summary: string,
  config: ChartConfiguration,
): { figure: HTMLElement; draw: () => Chart } {
  const canvas = document.createElement('canvas');
  canvas.id = id;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${title}: ${summary}`);
  const box = document.createElement('div');
  box.className = 'chart-box';
  box.append(canvas);
  const figure = document.createElement('figure');
  figure.className = 'chart';
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption, box);
  return {
    figure,
    draw: () => {
      const chart = new Chart(canvas, config);
      drawn.add(chart);
      return chart;
    },
  };
}
