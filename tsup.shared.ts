import { defineConfig, type Options } from 'tsup';

/** Shared tsup settings: ESM + CJS + type declarations from src/index.ts, as every package publishes. */
export function viommuTsupConfig(extra: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
    ...extra,
  });
}
