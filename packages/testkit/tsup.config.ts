import { viommuTsupConfig } from '../../tsup.shared.ts';

// vitest and fast-check are the caller's (peer dependencies).
export default viommuTsupConfig({ external: ['vitest', 'fast-check'] });
