// '@myelin/backend-webgpu/descriptor' in Node: Dawn from the `webgpu` package, loaded on use.
import { webGpuDescriptor } from './webgpu-descriptor.js';

export { WEBGPU_PRIORITY } from './webgpu-descriptor.js';
export const descriptor = webGpuDescriptor(() => import('./index.js'));
