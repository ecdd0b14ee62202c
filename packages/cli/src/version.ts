/** The CLI's version, from its package.json (inlined at build time by the bundler). */
import pkg from '../package.json' with { type: 'json' };

/** `viommu --version` prints this. */
export const VERSION: string = pkg.version;
