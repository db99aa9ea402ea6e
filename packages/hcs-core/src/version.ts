/** The version of this package (kept equal to package.json "version"; a test checks it). */
export const CORE_VERSION = '1.0.0';
