// Small pieces both apps use: labelled fields that show the API's message for their field,
// money, dates, the problem banner, the pager and the page title.
import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useEffect } from 'preact/hooks';
import { ApiError, type FieldErrors } from './api';

type InputProps = InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  name: string;
  errors?: FieldErrors;
  errorKey?: string;
  hint?: string;
};

export function Field({ label, name, errors, errorKey, hint, ...input }: InputProps) {
  const id = `field-${name}`;
  const error = errors?.[errorKey ?? name];
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={described || undefined} {...input} />
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function TextArea({ label, name, errors, ...rest }: { label: string; name: string; errors?: FieldErrors; defaultValue?: string; rows?: number }) {
  const id = `field-${name}`;
  const error = errors?.[name];
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-error` : undefined} {...rest} />
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The part of a problem no field shows: its detail (and, with no field named, the fields' messages). */
export function ProblemBanner({ error }: { error: unknown }) {
  if (!error) return null;
  let text = 'Something went wrong.';
  if (error instanceof ApiError) {
    text = error.problem.detail || error.problem.title || error.message;
  } else if (error instanceof Error) {
    text = error.message;
  }
  return (
    <p class="problem" role="alert">
      {text}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

const formats = new Map<string, Intl.NumberFormat>();
export function money(cents: number, currency: string): string {
  let format = formats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat('en', { style: 'currency', currency });
    } catch {
      format = new Intl.NumberFormat('en', { minimumFractionDigits: 2 });
    }
    formats.set(currency, format);
  }
  return format.format(cents / 100);
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return isNaN(date.getTime()) ? iso : date.toLocaleString('en');
}

/** "12.50" → 1250; null when it is not an amount. */
export function parseCents(text: string): number | null {
  const match = /^\s*(\d+)(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
}

export function errorFields(error: unknown): FieldErrors {
  return error instanceof ApiError ? error.fields : {};
}

/** Previous/next over the API's cursors: a stack of the cursors of the pages before. */
export function Pager({ cursors, next, onPage, label }: { cursors: string[]; next: string | null; onPage: (cursors: string[]) => void; label: string }) {
  if (cursors.length === 0 && !next) return null;
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={cursors.length === 0} onClick={() => onPage(cursors.slice(0, -1))}>
        Previous page
      </button>
      <span>Page {cursors.length + 1}</span>
      <button type="button" disabled={!next} onClick={() => next && onPage([...cursors, next])}>
        Next page
      </button>
    </nav>
  );
}

/** An id short enough to show: its last 8 characters (a UUIDv7 begins with its timestamp, so its
 *  first characters are shared by everything made around the same time). */
export function shortId(id: string): string {
  return id.replace(/-/g, '').slice(-8);
}

/** The document's title follows the page (WCAG 2.4.2), e.g. "Cart · Ordo shop". */
export function useTitle(title: string | null | undefined) {
  useEffect(() => {
    const app = document.documentElement.dataset.app ?? '';
    if (title) document.title = app ? `${title} · ${app}` : title;
  }, [title]);
}
