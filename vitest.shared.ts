import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings: workspace packages resolve to their TypeScript sources through the
 * `@viommu/source` export condition, so tests never need a prior build.
 */
export function viommuVitestConfig(options: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { conditions: ['@viommu/source', ...defaultClientConditions] },
    ssr: { resolve: { conditions: ['@viommu/source', ...defaultServerConditions] } },
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 60_000,
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest-results.json' },
    },
  });
}
