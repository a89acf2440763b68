// English and Simplified Chinese. The language comes from the browser
// (navigator.languages) until the user picks one, which is remembered on the
// device. Messages are flat keys with {name} placeholders; counts pick a
// "_one" or "_other" form through Intl.PluralRules.

import en from './locales/en.js';
import zhCN from './locales/zh-CN.js';
import { emit } from './bus.js';

export const LANGUAGES = { en, 'zh-CN': zhCN };
export const LANGUAGE_NAMES = { en: 'English', 'zh-CN': '简体中文' };

let lang = 'en';

/** pickLanguage chooses among ours from the browser's preferences. */
export function pickLanguage(preferred) {
  for (const p of preferred || []) {
    const l = String(p).toLowerCase();
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}

/** format fills {name} placeholders; an unknown placeholder stays visible. */
export function format(text, params = {}) {
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/** translate looks key up in dict, picking the plural form for params.n. */
export function translate(dict, key, params = {}, locale = 'en') {
  let text;
  if (typeof params.n === 'number' && (`${key}_one` in dict || `${key}_other` in dict)) {
    const form = new Intl.PluralRules(locale).select(params.n);
    text = dict[`${key}_${form}`] ?? dict[`${key}_other`];
  } else {
    text = dict[key];
  }
  if (text === undefined) text = LANGUAGES.en[key] ?? key; // a missing key shows, never breaks
  return format(text, params);
}

/** t translates in the current language. */
export function t(key, params) {
  return translate(LANGUAGES[lang], key, params, lang);
}

/** has tells whether a key exists (for optional messages such as problem codes). */
export function has(key) {
  return key in LANGUAGES.en;
}

export function currentLanguage() {
  return lang;
}

/** setLanguage switches the app's language and remembers the choice. */
export function setLanguage(l, remember = true) {
  lang = LANGUAGES[l] ? l : 'en';
  document.documentElement.lang = lang;
  if (remember) {
    try {
      localStorage.setItem('rb.lang', lang);
    } catch {
      // private mode: the choice lasts for this page only
    }
  }
  emit('lang');
}

/** initLanguage applies the remembered choice or the browser's languages. */
export function initLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem('rb.lang');
  } catch {
    saved = null;
  }
  setLanguage(saved && LANGUAGES[saved] ? saved : pickLanguage(navigator.languages || [navigator.language]), false);
}
