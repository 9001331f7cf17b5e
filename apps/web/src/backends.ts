// The backends this web app bundles: one line each. A descriptor is cheap to import (each
// loads its backend only when the worker starts it), so the page lists names, titles and
// descriptions without fetching WebGPU or WebAssembly code. The order is the display order;
// the automatic choice goes by each descriptor's priority.
import { descriptor as cpuReference } from '@myelin/backend-cpu-reference/descriptor';
import { descriptor as wasm } from '@myelin/backend-wasm/descriptor';
import { descriptor as webgpu } from '@myelin/backend-webgpu/descriptor';
import type { BackendDescriptor } from '@myelin/core/backend';

export const WEB_BACKENDS: readonly BackendDescriptor[] = [webgpu, wasm, cpuReference];

/** The descriptor of `name`, or undefined for a name this app does not bundle. */
export const webBackend = (name: string): BackendDescriptor | undefined => WEB_BACKENDS.find((d) => d.name === name);
