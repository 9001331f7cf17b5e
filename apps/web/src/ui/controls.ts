// Labelled form controls. Every control has a visible <label>, works with the keyboard, and
// reports changes through one callback.
import type { OptimizerName } from '../worker/protocol.js';
import { h, uid } from './dom.js';

export interface Option<T extends string | number> {
  value: T;
  label: string;
  disabled?: boolean;
}

export interface SelectControl<T extends string | number> {
  element: HTMLElement;
  select: HTMLSelectElement;
  get value(): T;
  set value(v: T);
  setOptions(options: readonly Option<T>[]): void;
}

/** Options for a list of numbers, each labelled by `label` (default: the number as written). */
export function numberOptions(values: readonly number[], label: (value: number) => string = String): Option<number>[] {
  return values.map((value) => ({ value, label: label(value) }));
}

/** The dropout choices of the demo's model editors. */
export const DROPOUT_OPTIONS: readonly Option<number>[] = numberOptions([0, 0.1, 0.2, 0.5], (p) =>
  p === 0 ? 'none' : String(p),
);

/** The optimizers the demo trains with (the worker builds them with core's optimizerFromConfig). */
export const OPTIMIZER_OPTIONS: readonly Option<OptimizerName>[] = [
  { value: 'adam', label: 'Adam' },
  { value: 'sgd', label: 'SGD' },
  { value: 'rmsprop', label: 'RMSprop' },
  { value: 'adagrad', label: 'Adagrad' },
];

/** Batch sizes, 0 meaning the whole training set in one batch. */
export function batchOptions(values: readonly number[]): Option<number>[] {
  return numberOptions(values, (v) => (v === 0 ? 'full batch' : String(v)));
}

export function selectControl<T extends string | number>(
  label: string,
  options: readonly Option<T>[],
  value: T,
  onChange: (value: T) => void,
  hint?: string,
): SelectControl<T> {
  const id = uid('select');
  const select = h('select', { id, name: id });
  let current = options;
  const parse = (raw: string): T => current.find((o) => String(o.value) === raw)?.value ?? current[0]!.value;
  const fill = (list: readonly Option<T>[]): void => {
    current = list;
    const previous = select.value;
    select.replaceChildren(...list.map((o) => h('option', { value: String(o.value), disabled: o.disabled }, o.label)));
    if (list.some((o) => String(o.value) === previous)) select.value = previous;
  };
  fill(options);
  select.value = String(value);
  select.addEventListener('change', () => onChange(parse(select.value)));
  const element = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    select,
    hint ? h('small', { class: 'hint' }, hint) : null,
  );
  return {
    element,
    select,
    get value() {
      return parse(select.value);
    },
    set value(v: T) {
      select.value = String(v);
    },
    setOptions: fill,
  };
}

export interface RangeControl {
  element: HTMLElement;
  input: HTMLInputElement;
  value: number;
}

export function rangeControl(
  label: string,
  options: { min: number; max: number; step: number; value: number; format: (v: number) => string },
  onChange: (value: number) => void,
): RangeControl {
  const id = uid('range');
  const output = h('output', { for: id }, options.format(options.value));
  const input = h('input', {
    id,
    type: 'range',
    min: String(options.min),
    max: String(options.max),
    step: String(options.step),
    value: String(options.value),
  });
  input.addEventListener('input', () => {
    output.textContent = options.format(Number(input.value));
    input.setAttribute('aria-valuetext', options.format(Number(input.value)));
  });
  input.addEventListener('change', () => onChange(Number(input.value)));
  const element = h('div', { class: 'field' }, h('label', { for: id }, label, ' ', output), input);
  return {
    element,
    input,
    get value() {
      return Number(input.value);
    },
    set value(v: number) {
      input.value = String(v);
      output.textContent = options.format(v);
    },
  };
}

export interface TextControl {
  element: HTMLElement;
  input: HTMLInputElement;
  value: string;
  setError(message: string | null): void;
}

/** A text input validated on change; `parse` returns an error message or null. */
export function textControl(
  label: string,
  value: string,
  onChange: (value: string) => string | null,
  hint?: string,
): TextControl {
  const id = uid('text');
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const input = h('input', {
    id,
    type: 'text',
    value,
    autocomplete: 'off',
    spellcheck: false,
    'aria-describedby': hint ? hintId : undefined,
  });
  const error = h('small', { id: errorId, class: 'field-error', role: 'alert' });
  const setError = (message: string | null): void => {
    error.textContent = message ?? '';
    input.setAttribute('aria-invalid', message ? 'true' : 'false');
  };
  input.addEventListener('change', () => setError(onChange(input.value)));
  const element = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('small', { id: hintId, class: 'hint' }, hint) : null,
    error,
  );
  return {
    element,
    input,
    get value() {
      return input.value;
    },
    set value(v: string) {
      input.value = v;
      setError(null);
    },
    setError,
  };
}

export function button(
  label: string,
  onClick: () => void,
  options: { kind?: 'primary' | 'secondary' | 'ghost'; title?: string; id?: string } = {},
): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: `button ${options.kind ?? 'secondary'}`,
      title: options.title,
      id: options.id,
      onclick: onClick,
    },
    label,
  );
}

export interface HiddenLayersControl {
  element: HTMLElement;
  /** Writes sizes into the field (a form restored from a model), clearing any error. */
  show(sizes: readonly number[]): void;
}

/**
 * The "Hidden layers" field of a model editor: sizes typed as "8, 8", each from 1 to `max`.
 * `onChange` hears only valid sizes; a bad entry shows its error under the field instead.
 */
export function hiddenLayersControl(
  sizes: readonly number[],
  options: { max: number; hint: string },
  onChange: (sizes: number[]) => void,
): HiddenLayersControl {
  const text = textControl(
    'Hidden layers',
    sizes.join(', '),
    (typed) => {
      const parsed = parseLayerSizes(typed, options.max);
      if (typeof parsed === 'string') return parsed;
      onChange(parsed);
      return null;
    },
    options.hint,
  );
  return {
    element: text.element,
    show(next) {
      text.value = next.join(', ');
    },
  };
}

/** Parses "8, 8" into layer sizes; "" is no hidden layer. */
export function parseLayerSizes(text: string, max = 512): number[] | string {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const parts = trimmed.split(/[\s,]+/);
  const sizes = parts.map(Number);
  const bad = parts.find((p, i) => !Number.isInteger(sizes[i]) || sizes[i]! < 1 || sizes[i]! > max);
  if (bad !== undefined) return `"${bad}" is not a layer size: use whole numbers from 1 to ${max}, separated by commas`;
  if (sizes.length > 8) return 'at most 8 hidden layers';
  return sizes;
}
