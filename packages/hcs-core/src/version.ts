/** The version of this package (kept equal to package.json "version"; a test checks it). */
export const CORE_VERSION = '0.1.0';
