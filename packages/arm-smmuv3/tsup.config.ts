import { viommuTsupConfig } from '../../tsup.shared.ts';

export default viommuTsupConfig();
