// '@myelin/backend-webgpu/descriptor' in browsers: navigator.gpu, loaded on use.
import { webGpuDescriptor } from './webgpu-descriptor.js';

export { WEBGPU_PRIORITY } from './webgpu-descriptor.js';
export const descriptor = webGpuDescriptor(() => import('./index.browser.js'));
