/**
 * Small SVG charts for the QA dashboard: a bar chart and a multi-series line chart, with axes,
 * tick labels, gridlines, a legend and accessible titles. Written here rather than taken from a
 * chart library: two chart types do not justify a dependency (and its bundle weight), and plain
 * SVG keeps them styleable by styles.css and testable as markup.
 */
import { useId, useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { bandScale, formatTick, labelIndices, linearScale, niceTicks } from './chartScale';

/** Width drawn before the figure is measured (and in tests, where nothing has a size). */
const DEFAULT_WIDTH = 640;
const MARGIN = { top: 12, right: 16, bottom: 34, left: 48 };
/** Room one category label under the x axis needs ("Nov 25" at 11 px, and a gap). */
const X_LABEL_PX = 56;

/**
 * The element's width in CSS pixels, following resizes. The charts draw at that size (viewBox =
 * pixels) so labels keep their font size instead of shrinking or growing with the card.
 */
function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(DEFAULT_WIDTH);
  useLayoutEffect(() => {
    const element = ref.current;
    if (element === null) return;
    const update = () => {
      const measured = Math.floor(element.clientWidth);
      if (measured > 0) setWidth(measured);
    };
    update();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(update);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

export interface BarDatum {
  label: string;
  value: number;
  /** CSS colour; the chart's default otherwise. */
  color?: string;
}

function ValueAxis({
  ticks,
  y,
  x0,
  x1,
}: {
  ticks: readonly number[];
  y: (v: number) => number;
  x0: number;
  x1: number;
}) {
  return (
    <g className="chart-axis chart-axis-y" aria-hidden="true">
      {ticks.map((t) => (
        <g key={t}>
          <line className="chart-grid" x1={x0} x2={x1} y1={y(t)} y2={y(t)} />
          <text x={x0 - 6} y={y(t)} dy="0.32em" textAnchor="end">
            {formatTick(t)}
          </text>
        </g>
      ))}
    </g>
  );
}

function CategoryLabels({
  labels,
  x,
  y,
  width,
}: {
  labels: readonly string[];
  x: (i: number) => number;
  y: number;
  width: number;
}) {
  const fit = Math.max(2, Math.floor((width - MARGIN.left - MARGIN.right) / X_LABEL_PX));
  return (
    <g className="chart-axis chart-axis-x" aria-hidden="true">
      {labelIndices(labels.length, fit).map((i) => (
        <text key={i} x={x(i)} y={y + 16} textAnchor="middle">
          {labels[i]}
        </text>
      ))}
    </g>
  );
}

/** The accessible SVG of a chart: title, description, value axis and baseline under its marks. */
function ChartSvg({
  title,
  description,
  width,
  height,
  ticks,
  y,
  plotBottom,
  children,
}: {
  title: string;
  description: string | undefined;
  width: number;
  height: number;
  ticks: readonly number[];
  y: (value: number) => number;
  plotBottom: number;
  children: ReactNode;
}) {
  const id = useId();
  return (
    <svg
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-labelledby={`${id}-title`}
      aria-describedby={description ? `${id}-desc` : undefined}
    >
      <title id={`${id}-title`}>{title}</title>
      {description && <desc id={`${id}-desc`}>{description}</desc>}
      <ValueAxis ticks={ticks} y={y} x0={MARGIN.left} x1={width - MARGIN.right} />
      <line className="chart-baseline" x1={MARGIN.left} x2={width - MARGIN.right} y1={plotBottom} y2={plotBottom} />
      {children}
    </svg>
  );
}

/** Vertical bars, one per category, value axis from 0. */
export function BarChart({
  title,
  description,
  data,
  height = 220,
  color = 'var(--accent)',
  integer = true,
}: {
  title: string;
  description?: string;
  data: readonly BarDatum[];
  height?: number;
  color?: string;
  integer?: boolean;
}) {
  const figure = useRef<HTMLElement>(null);
  const width = useWidth(figure);
  const max = Math.max(0, ...data.map((d) => d.value));
  const ticks = niceTicks(max, 4, integer);
  const top = ticks[ticks.length - 1] as number;
  const plotBottom = height - MARGIN.bottom;
  const y = linearScale([0, top], [plotBottom, MARGIN.top]);
  const band = bandScale(data.length, MARGIN.left, width - MARGIN.right);
  return (
    <figure className="chart" ref={figure}>
      <ChartSvg
        title={title}
        description={description}
        width={width}
        height={height}
        ticks={ticks}
        y={y}
        plotBottom={plotBottom}
      >
        {data.map((d, i) => (
          <rect
            key={d.label}
            className="chart-bar"
            data-value={d.value}
            x={band.x(i)}
            y={y(d.value)}
            width={band.bandwidth}
            height={Math.max(0, plotBottom - y(d.value))}
            fill={d.color ?? color}
          >
            <title>{`${d.label}: ${d.value.toLocaleString('en-US')}`}</title>
          </rect>
        ))}
        <CategoryLabels labels={data.map((d) => d.label)} x={band.center} y={plotBottom} width={width} />
      </ChartSvg>
      <figcaption className="chart-caption">{title}</figcaption>
    </figure>
  );
}

export interface LineSeries {
  name: string;
  color: string;
  values: readonly number[];
}

/** Several series over the same categories (days), with points and a legend. */
export function LineChart({
  title,
  description,
  labels,
  series,
  height = 240,
  integer = true,
}: {
  title: string;
  description?: string;
  labels: readonly string[];
  series: readonly LineSeries[];
  height?: number;
  integer?: boolean;
}) {
  const figure = useRef<HTMLElement>(null);
  const width = useWidth(figure);
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const ticks = niceTicks(max, 4, integer);
  const top = ticks[ticks.length - 1] as number;
  const plotBottom = height - MARGIN.bottom;
  const y = linearScale([0, top], [plotBottom, MARGIN.top]);
  const band = bandScale(labels.length, MARGIN.left, width - MARGIN.right, 0);
  // Many days: points would merge into a thick line; draw them only when there is room.
  const showPoints = labels.length <= 45;
  return (
    <figure className="chart" ref={figure}>
      <ChartSvg
        title={title}
        description={description}
        width={width}
        height={height}
        ticks={ticks}
        y={y}
        plotBottom={plotBottom}
      >
        {series.map((s) => (
          <g key={s.name} className="chart-series" data-series={s.name}>
            <polyline
              className="chart-line"
              fill="none"
              stroke={s.color}
              points={s.values.map((v, i) => `${band.center(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
            />
            {showPoints &&
              s.values.map((v, i) => (
                <circle key={labels[i] ?? i} cx={band.center(i)} cy={y(v)} r={2.5} fill={s.color}>
                  <title>{`${s.name}, ${labels[i] ?? ''}: ${v.toLocaleString('en-US')}`}</title>
                </circle>
              ))}
          </g>
        ))}
        <CategoryLabels labels={labels} x={band.center} y={plotBottom} width={width} />
      </ChartSvg>
      <figcaption className="chart-caption">
        <span>{title}</span>
        <span className="chart-legend">
          {series.map((s) => (
            <span key={s.name} className="legend-item">
              <span className="legend-swatch" style={{ backgroundColor: s.color }} aria-hidden="true" />
              {s.name}
            </span>
          ))}
        </span>
      </figcaption>
    </figure>
  );
}
