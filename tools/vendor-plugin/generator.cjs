// nx generator: `npx nx g @viommu/tools:vendor-plugin <name>` creates packages/<name>, a vendor plugin that
// compiles, passes the conformance suite out of the box (its example format is a simple 3-level radix
// tree), and is ready to have the real architecture's formats written into it.
const path = require('node:path');
const { generateFiles, names } = require('@nx/devkit');

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {{ name: string, modelId?: number }} options
 */
async function vendorPluginGenerator(tree, options) {
  if (!/^[a-z][a-z0-9-]*$/.test(options.name ?? '')) {
    throw new Error(`vendor-plugin: name '${options.name}' must be lower-case letters, digits and dashes`);
  }
  const modelId = options.modelId ?? 100;
  if (!Number.isInteger(modelId) || modelId < 3 || modelId > 255) {
    throw new Error(`vendor-plugin: modelId ${modelId} must be an integer in 3..255 (1 and 2 are taken)`);
  }
  const n = names(options.name);
  const dir = `packages/${n.fileName}`;
  if (tree.exists(dir)) throw new Error(`vendor-plugin: ${dir} already exists`);
  generateFiles(tree, path.join(__dirname, 'files'), dir, { ...n, modelId, tmpl: '' });
  tree.write(
    `.changeset/add-${n.fileName}.md`,
    `---\n'@viommu/${n.fileName}': minor\n---\n\nNew vendor plugin \`@viommu/${n.fileName}\` (model ${modelId}), generated from the viommu vendor template.\n`,
  );
  return () => {
    console.log(`Created ${dir}. Run \`npm install\` to link it, then \`npx nx run-many -t typecheck lint test -p @viommu/${n.fileName}\`.`);
  };
}

module.exports = vendorPluginGenerator;
module.exports.default = vendorPluginGenerator;
