// Introducer hours per ISO week: logged against owed, as a small SVG bar chart
// for the eye and a table for everyone (screen readers read the table).
import type { WeekHours } from '../api';
import { weekLabel } from '../dates';
import { useI18n } from '../i18n';
import { useId } from './ui';

const SHOWN = 12;

function fmt(h: number): string {
  return String(Math.round(h * 10) / 10);
}

export function HoursChart({ weeks }: { weeks: WeekHours[] }) {
  const { t } = useI18n();
  const id = useId('hours');
  const shown = weeks.slice(-SHOWN);
  const max = Math.max(4, ...shown.map((w) => Math.max(w.owed, w.logged)));
  const W = 640;
  const H = 220;
  const top = 16;
  const bottom = 40;
  const left = 36;
  const plotH = H - top - bottom;
  const slot = (W - left - 8) / Math.max(shown.length, 1);
  const bar = Math.min(22, slot / 2.6);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max].map((v) => Math.round(v * 10) / 10);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-cap`} preserveAspectRatio="xMidYMid meet">
        {ticks.map((v) => (
          <g key={v}>
            <line x1={left} x2={W - 4} y1={y(v)} y2={y(v)} class="chart-grid" />
            <text x={left - 6} y={y(v) + 4} text-anchor="end" class="chart-axis">
              {fmt(v)}
            </text>
          </g>
        ))}
        {shown.map((w, i) => {
          const x = left + i * slot + slot / 2;
          const short = w.logged + 1e-9 < w.owed;
          return (
            <g key={w.week}>
              <rect x={x - bar - 1} y={y(w.owed)} width={bar} height={Math.max(0, top + plotH - y(w.owed))} class="chart-owed">
                <title>{`${weekLabel(w.week)}: ${t('hours.legend.owed')} ${fmt(w.owed)} h`}</title>
              </rect>
              <rect
                x={x + 1}
                y={y(w.logged)}
                width={bar}
                height={Math.max(0, top + plotH - y(w.logged))}
                class={short ? 'chart-logged chart-logged--short' : 'chart-logged'}
              >
                <title>{`${weekLabel(w.week)}: ${t('hours.legend.logged')} ${fmt(w.logged)} h`}</title>
              </rect>
              <text x={x} y={H - bottom + 16} text-anchor="middle" class="chart-axis">
                {w.week.slice(-2)}
              </text>
            </g>
          );
        })}
        <line x1={left} x2={W - 4} y1={top + plotH} y2={top + plotH} class="chart-base" />
      </svg>
      <figcaption id={`${id}-cap`}>
        {t('hours.chart', { n: shown.length })}
        <span class="legend">
          <span class="swatch swatch--owed" aria-hidden="true" /> {t('hours.legend.owed')}
          <span class="swatch swatch--logged" aria-hidden="true" /> {t('hours.legend.logged')}
          <span class="swatch swatch--short" aria-hidden="true" /> {t('hours.short')}
        </span>
      </figcaption>
    </figure>
  );
}

export function HoursTable({ weeks }: { weeks: WeekHours[] }) {
  const { t } = useI18n();
  return (
    <details class="hours-table">
      <summary>{t('hours.table')}</summary>
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">{t('hours.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('hours.week')}</th>
              <th scope="col" class="num">
                {t('hours.owed')}
              </th>
              <th scope="col" class="num">
                {t('hours.logged')}
              </th>
            </tr>
          </thead>
          <tbody>
            {weeks
              .slice()
              .reverse()
              .map((w) => {
                const short = w.logged + 1e-9 < w.owed;
                return (
                  <tr key={w.week} class={short ? 'row--short' : ''}>
                    <th scope="row">{weekLabel(w.week)}</th>
                    <td class="num">{fmt(w.owed)}</td>
                    <td class="num">
                      {fmt(w.logged)}
                      {short && <span class="tag tag--late"> {t('hours.short')}</span>}
                    </td>
                  </tr>
                );
              })}
          </tbody>
        </table>
      </div>
    </details>
  );
}
