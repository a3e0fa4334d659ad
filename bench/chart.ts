/**
 * The benchmark as an SVG: one panel per measure (rows) and mode (columns), a group of bars per
 * concurrency, one bar per target. Written by hand: a chart library would be a dependency for
 * a few rectangles.
 */
import type { BenchResults, Mode, SeriesResult, Target } from './report.ts';

const colors: Record<Target, string> = { direct: '#9aa5b1', proxy: '#4f83cc', nginx: '#3a9e6b', portkey: '#8e6bbf', relay: '#c9a227', gateway: '#e07b39' };
const names: Record<Target, string> = { direct: 'direct to upstream', proxy: 'raw Node proxy', nginx: 'nginx', portkey: "Portkey's gateway", relay: 'parsing relay', gateway: 'Switchboard' };
const panelWidth = 440;
const panelHeight = 190;
const margin = { left: 56, top: 64, gap: 36 };

interface Measure {
  title: (mode: Mode) => string;
  value: (row: SeriesResult) => number | undefined;
  targets: Target[];
  digits: number;
}

const measures: Measure[] = [
  { title: (mode) => `req/s, ${mode === 'chat' ? 'non-streamed' : 'streamed'} (higher is better)`, value: (row) => row.rps, targets: ['direct', 'proxy', 'nginx', 'portkey', 'relay', 'gateway'], digits: 0 },
  {
    title: (mode) => (mode === 'chat' ? 'p50 latency, ms, non-streamed' : 'p50 time to first byte, ms, streamed'),
    value: (row) => (row.mode === 'stream' ? row.ttfbP50 : row.p50),
    targets: ['direct', 'proxy', 'nginx', 'portkey', 'relay', 'gateway'],
    digits: 2,
  },
  { title: (mode) => `CPU µs per request, ${mode === 'chat' ? 'non-streamed' : 'streamed'} (proxies, gateways)`, value: (row) => row.cpuMicrosPerRequest, targets: ['proxy', 'nginx', 'portkey', 'relay', 'gateway'], digits: 0 },
  { title: (mode) => `peak RSS, MB, ${mode === 'chat' ? 'non-streamed' : 'streamed'} (proxies, gateways)`, value: (row) => row.peakRssMb, targets: ['proxy', 'nginx', 'portkey', 'relay', 'gateway'], digits: 0 },
];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(results: BenchResults, measure: Measure, mode: Mode, x: number, y: number): string {
  const rows = results.series.filter((row) => row.mode === mode && measure.targets.includes(row.target));
  // nginx, Portkey's gateway and the relay run only where installed or asked: no empty slot otherwise.
  const targets = measure.targets.filter((target) => rows.some((row) => row.target === target));
  const concurrencies = [...new Set(rows.map((row) => row.concurrency))].sort((left, right) => left - right);
  const values = rows.map((row) => measure.value(row) ?? 0).filter((value) => Number.isFinite(value));
  const top = Math.max(...values, 1e-9) * 1.15;
  const plotWidth = panelWidth - margin.left;
  const groupWidth = plotWidth / Math.max(1, concurrencies.length);
  const barWidth = Math.min(34, (groupWidth - 20) / Math.max(1, targets.length));
  const parts = [`<text x="${x}" y="${y - 10}" class="title">${escape(measure.title(mode))}</text>`];
  parts.push(`<line x1="${x + margin.left}" y1="${y + panelHeight}" x2="${x + panelWidth}" y2="${y + panelHeight}" class="axis"/>`);
  concurrencies.forEach((concurrency, groupIndex) => {
    const groupX = x + margin.left + groupIndex * groupWidth + (groupWidth - barWidth * targets.length) / 2;
    targets.forEach((target, targetIndex) => {
      const row = rows.find((each) => each.concurrency === concurrency && each.target === target);
      const value = row ? measure.value(row) : undefined;
      if (value === undefined || !Number.isFinite(value)) return;
      const height = (value / top) * panelHeight;
      const barX = groupX + targetIndex * barWidth;
      parts.push(`<rect x="${barX.toFixed(1)}" y="${(y + panelHeight - height).toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${height.toFixed(1)}" fill="${colors[target]}"><title>${target}, c${concurrency}: ${value.toFixed(measure.digits)}</title></rect>`);
      parts.push(`<text x="${(barX + (barWidth - 3) / 2).toFixed(1)}" y="${(y + panelHeight - height - 3).toFixed(1)}" class="value">${value.toFixed(measure.digits)}</text>`);
    });
    parts.push(`<text x="${(x + margin.left + groupIndex * groupWidth + groupWidth / 2).toFixed(1)}" y="${y + panelHeight + 16}" class="label">concurrency ${concurrency}</text>`);
  });
  return parts.join('\n');
}

export function renderChart(results: BenchResults): string {
  const modes: Mode[] = ['chat', 'stream'];
  const width = margin.left / 2 + modes.length * (panelWidth + margin.gap);
  const height = margin.top + measures.length * (panelHeight + margin.top);
  const panels = measures.flatMap((measure, row) => modes.map((mode, column) => panel(results, measure, mode, 16 + column * (panelWidth + margin.gap), margin.top + row * (panelHeight + margin.top) + 8)));
  const legend = (Object.keys(colors) as Target[])
    .filter((target) => results.series.some((row) => row.target === target))
    .map((target, index) => `<rect x="${16 + index * 150}" y="34" width="12" height="12" fill="${colors[target]}"/><text x="${32 + index * 150}" y="44" class="legend">${names[target]}</text>`)
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<style>
  .title { font-size: 13px; font-weight: bold; fill: #222; }
  .label, .legend { font-size: 11px; fill: #333; }
  .label, .value { text-anchor: middle; }
  .value { font-size: 9px; fill: #444; }
  .axis { stroke: #888; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="16" y="20" class="title">npm run bench: ${escape(results.date)}, Node ${escape(results.node)}, ${results.cpus} cores, ${escape(String(results.settings.durationSeconds))} s per series</text>
${legend}
${panels.join('\n')}
</svg>
`;
}
