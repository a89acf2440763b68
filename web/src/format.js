// Numbers and times as people read them, in the chosen language.
import { currentLanguage, t } from './i18n.js';

/** bytes: "412 MB". */
export function bytes(n) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Number(n) || 0;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = v >= 100 || i === 0 ? 0 : 1;
  return `${v.toFixed(digits)} ${units[i]}`;
}

/** ago: "2 min ago", "just now". */
export function ago(iso, now = Date.now()) {
  if (!iso) return t('time.never');
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 45) return t('time.just_now');
  const rtf = new Intl.RelativeTimeFormat(currentLanguage(), { numeric: 'auto', style: 'short' });
  if (s < 3600) return rtf.format(-Math.round(s / 60), 'minute');
  if (s < 86400) return rtf.format(-Math.round(s / 3600), 'hour');
  return rtf.format(-Math.round(s / 86400), 'day');
}

/** dateTime: a short local date and time. */
export function dateTime(v) {
  if (!v) return '';
  const d = typeof v === 'number' ? new Date(v) : new Date(Date.parse(v));
  return new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** duration: "1:05" for 65 seconds. */
export function duration(ms) {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * money formats an amount as the server sends it: a decimal number in the
 * currency's units (19.99), never a float the app computed.
 */
export function money(amount, currency) {
  if (amount == null || amount === '') return '';
  const v = Number(amount);
  try {
    return new Intl.NumberFormat(currentLanguage(), { style: 'currency', currency: currency || 'USD' }).format(v);
  } catch {
    return v.toFixed(2);
  }
}
