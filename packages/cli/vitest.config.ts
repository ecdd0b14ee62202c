import { viommuVitestConfig } from '../../vitest.shared.ts';

export default viommuVitestConfig();
