// A small element builder: h('button', { class: 'primary', onclick }, 'Start').
type Child = Node | string | number | null | undefined | false;
type Props = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function')
      element.addEventListener(key.slice(2), value as EventListener);
    else if (key === 'class') element.className = String(value);
    else if (key === 'style' && typeof value === 'object') Object.assign(element.style, value);
    else if (key in element && typeof value !== 'string') (element as unknown as Record<string, unknown>)[key] = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(
      typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child,
    );
  }
}

let nextId = 0;
/** A unique id for label/for pairs. */
export function uid(prefix: string): string {
  return `${prefix}-${++nextId}`;
}

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function formatRate(samplesPerSecond: number): string {
  if (!Number.isFinite(samplesPerSecond) || samplesPerSecond <= 0) return '-';
  return samplesPerSecond >= 100 ? formatNumber(samplesPerSecond) : formatNumber(samplesPerSecond, 1);
}
