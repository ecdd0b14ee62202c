import { viommuVitestConfig } from '../vitest.shared.ts';

export default viommuVitestConfig({ testTimeout: 240_000 });
