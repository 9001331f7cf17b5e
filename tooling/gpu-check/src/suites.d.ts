/** Backend name -> a loader that imports (and so registers) that backend's conformance test file. */
export declare const SUITES: Readonly<Record<string, () => Promise<unknown>>>;
