/** The registry name of this backend. */
export const CPU_BACKEND_NAME = 'cpu';
