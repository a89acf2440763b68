// Small SVG charts for the dashboard, no library: a stacked bar chart and a
// line chart. Each is a <figure> with a visible title; the SVG is hidden from
// screen readers and a visually-hidden table carries the same numbers.

// Fill colours that stay apart for colour-blind eyes (Okabe–Ito), with
// text labels everywhere so colour is never the only cue.
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

function niceMax(n) {
  if (n <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

function Legend({ series }) {
  return (
    <ul class="chart-legend" aria-hidden="true">
      {series.map((s, i) => (
        <li key={s.key}><span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} />{s.label}</li>
      ))}
    </ul>
  );
}

/** DataTable is the text alternative: rows by category, a column per series. */
function DataTable({ caption, categoryLabel, categories, series, values }) {
  return (
    <div class="visually-hidden"><table>
      <caption>{caption}</caption>
      <thead><tr><th scope="col">{categoryLabel}</th>{series.map((s) => <th scope="col" key={s.key}>{s.label}</th>)}</tr></thead>
      <tbody>
        {categories.map((c, ci) => (
          <tr key={c.key}><th scope="row">{c.label}</th>{series.map((s, si) => <td key={s.key}>{values[ci][si]}</td>)}</tr>
        ))}
      </tbody>
    </table></div>
  );
}

/**
 * StackedBars draws one horizontal bar per category, split by series.
 * values[categoryIndex][seriesIndex] are counts.
 */
export function StackedBars({ title, summary, categoryLabel, categories, series, values, testid }) {
  const rowH = 28;
  const labelW = 130;
  const width = 360;
  const plotW = width - labelW - 40;
  const totals = values.map((r) => r.reduce((a, b) => a + b, 0));
  const max = niceMax(Math.max(1, ...totals));
  const height = categories.length * rowH + 24;
  return (
    <figure class="chart" data-testid={testid}>
      <figcaption class="chart-title">{title}</figcaption>
      <p class="hint">{summary}</p>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="presentation" aria-hidden="true" focusable="false">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={labelW + f * plotW} x2={labelW + f * plotW} y1={0} y2={height - 18} class="grid" />
            <text x={labelW + f * plotW} y={height - 4} class="axis" text-anchor="middle">{Math.round(max * f)}</text>
          </g>
        ))}
        {categories.map((c, ci) => {
          let x = labelW;
          const y = ci * rowH + 4;
          return (
            <g key={c.key}>
              <text x={labelW - 6} y={y + rowH / 2} class="axis" text-anchor="end" dominant-baseline="middle">
                {c.label.length > 18 ? `${c.label.slice(0, 17)}…` : c.label}
              </text>
              {series.map((s, si) => {
                const v = values[ci][si];
                if (!v) return null;
                const w = (v / max) * plotW;
                const rect = <rect class="bar" key={s.key} x={x} y={y} width={w} height={rowH - 8}
                  fill={PALETTE[si % PALETTE.length]}><title>{`${c.label} · ${s.label}: ${v}`}</title></rect>;
                x += w;
                return rect;
              })}
              <text x={x + 4} y={y + rowH / 2 - 2} class="axis" dominant-baseline="middle">{totals[ci]}</text>
            </g>
          );
        })}
      </svg>
      <Legend series={series} />
      <DataTable caption={title} categoryLabel={categoryLabel} categories={categories} series={series} values={values} />
    </figure>
  );
}

/** Lines draws one line per series over the categories (weeks), with points. */
export function Lines({ title, summary, categoryLabel, categories, series, values, testid }) {
  const width = 360;
  const height = 200;
  const left = 30;
  const bottom = 22;
  const plotW = width - left - 10;
  const plotH = height - bottom - 10;
  const max = niceMax(Math.max(1, ...values.flat()));
  const n = categories.length;
  const xAt = (i) => left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const yAt = (v) => 10 + plotH - (v / max) * plotH;
  const every = Math.max(1, Math.ceil(n / 5));
  return (
    <figure class="chart" data-testid={testid}>
      <figcaption class="chart-title">{title}</figcaption>
      <p class="hint">{summary}</p>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="presentation" aria-hidden="true" focusable="false">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={left} x2={width - 10} y1={yAt(max * f)} y2={yAt(max * f)} class="grid" />
            <text x={left - 4} y={yAt(max * f)} class="axis" text-anchor="end" dominant-baseline="middle">{Math.round(max * f)}</text>
          </g>
        ))}
        {categories.map((c, i) => (i % every === 0 ? (
          <text key={c.key} x={xAt(i)} y={height - 6} class="axis" text-anchor="middle">{c.short || c.label}</text>
        ) : null))}
        {series.map((s, si) => {
          const pts = categories.map((_, i) => `${xAt(i).toFixed(1)},${yAt(values[i][si]).toFixed(1)}`);
          const colour = PALETTE[si % PALETTE.length];
          return (
            <g key={s.key} class="series">
              <polyline points={pts.join(' ')} fill="none" stroke={colour} stroke-width="2.5" />
              {categories.map((c, i) => (values[i][si] ? (
                <circle key={c.key} cx={xAt(i)} cy={yAt(values[i][si])} r="3.5" fill={colour}>
                  <title>{`${c.label} · ${s.label}: ${values[i][si]}`}</title>
                </circle>
              ) : null))}
            </g>
          );
        })}
      </svg>
      <Legend series={series} />
      <DataTable caption={title} categoryLabel={categoryLabel} categories={categories} series={series} values={values} />
    </figure>
  );
}
