import { useState } from 'preact/hooks';
import { t } from '../i18n.js';

// Small building blocks with the bench's proportions: every control is at
// least 56 px tall (gloved thumbs), labelled in words, and native where a
// native element exists (radio buttons, progress bars) so screen readers
// and the end-to-end tests find them by role and name.

export function Button({ kind = 'secondary', class: cls = '', children, ...rest }) {
  return (
    <button type="button" class={`btn btn-${kind} ${cls}`} {...rest}>
      {children}
    </button>
  );
}

export function LinkButton({ kind = 'secondary', class: cls = '', children, ...rest }) {
  return (
    <a class={`btn btn-${kind} ${cls}`} {...rest}>
      {children}
    </a>
  );
}

/**
 * Choice is a group of big radio cards. options: [{value, label, hint?,
 * disabled?, badge?}]. The fieldset's legend names the group.
 */
export function Choice({ legend, name, value, options, onChange, testid, columns = 1 }) {
  return (
    <fieldset class={`choice cols-${columns}`} data-testid={testid}>
      <legend>{legend}</legend>
      {options.map((o) => (
        <label class={`choice-item ${value === o.value ? 'is-on' : ''} ${o.disabled ? 'is-off' : ''}`} key={o.value}>
          <input
            type="radio"
            name={name}
            value={o.value}
            checked={value === o.value}
            disabled={o.disabled}
            onChange={() => onChange(o.value)}
          />
          <span class="choice-text">
            <span class="choice-label">
              {o.label}
              {o.badge ? <span class="badge">{o.badge}</span> : null}
            </span>
            {o.hint ? <span class="choice-hint">{o.hint}</span> : null}
          </span>
        </label>
      ))}
    </fieldset>
  );
}

/** Notice is a boxed message: info, warn, error or ok. */
export function Notice({ kind = 'info', title, children, role, testid }) {
  return (
    <div class={`notice notice-${kind}`} role={role || (kind === 'error' ? 'alert' : undefined)} data-testid={testid}>
      {title ? <strong class="notice-title">{title}</strong> : null}
      {children}
    </div>
  );
}

/** Progress is a labelled native progress bar with its figure beside it. */
export function Progress({ label, value, max, text }) {
  return (
    <div class="progress">
      <div class="progress-head">
        <span>{label}</span>
        <span>{text}</span>
      </div>
      <progress value={value} max={max || 1} aria-label={label}>
        {text}
      </progress>
    </div>
  );
}

/** Row is a label and its value, for record summaries. */
export function Row({ label, children, testid }) {
  if (children === undefined || children === null || children === '') return null;
  return (
    <div class="row" data-testid={testid}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/**
 * ReasonForm asks why, in the page rather than a browser prompt (which a
 * phone may block, and which cannot be styled or translated): a text box
 * and a confirm button. onConfirm gets the trimmed text; with required, an
 * empty one is not accepted.
 */
export function ReasonForm({ label, confirm, required = false, fallback = '', onConfirm, onCancel, testid }) {
  const [text, setText] = useState('');
  const submit = (e) => {
    e.preventDefault();
    const why = text.trim();
    if (required && !why) return;
    onConfirm(why || fallback);
  };
  return (
    <form class="card stack" onSubmit={submit} data-testid={testid}>
      <label class="field">
        <span>{label}</span>
        <textarea name="reason" rows="3" maxLength={1000} required={required} value={text} autoFocus
          onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <div class="button-row">
        <Button kind="ghost" onClick={onCancel}>{t('common.cancel')}</Button>
        <button type="submit" class="btn btn-primary">{confirm}</button>
      </div>
    </form>
  );
}
