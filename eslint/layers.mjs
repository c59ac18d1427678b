/**
 * The layering of src-main: each unit (a folder, or a file at the top of src-main) may import only
 * from its own unit or from lower ones. A strict order means no import cycle between folders.
 * docs/architecture.md explains each layer.
 */
import path from 'node:path';

/** Lowest first. Units on one line share a rank and may not import each other. */
export const LAYERS = [
  ['shared', 'errors', 'version'],
  ['util'],
  ['log'],
  ['svg'],
  ['plan'],
  ['config'],
  ['read-only'],
  ['jobs'],
  ['engine'],
  ['camera'],
  ['plotter'],
  ['recovery'],
  ['plotters'],
  ['notify'],
  ['app'],
  ['queue'],
  ['backup'],
  ['api'],
  ['serve', 'demo'],
  ['cli'],
  ['shell'],
  ['index'],
];

const RANK = new Map(LAYERS.flatMap((units, rank) => units.map((u) => [u, rank])));

/** The unit a file of src-main belongs to, or undefined for files outside src-main. */
export function unitOf(file, root) {
  const rel = path.relative(path.join(root, 'src-main'), file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [first, ...rest] = rel.split(path.sep);
  return rest.length ? first : first.replace(/\.tsx?$/, '');
}

export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'src-main folders import only from their own layer or lower ones' },
    schema: [
      { type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false },
    ],
    messages: {
      upward:
        "'{{from}}' (layer {{fromRank}}) may not import '{{to}}' (layer {{toRank}}): imports go down the layers (docs/architecture.md). Move what both need into '{{from}}' or lower.",
      sideways:
        "'{{from}}' and '{{to}}' share layer {{fromRank}} and may not import each other (docs/architecture.md).",
      unknown: "'{{unit}}' is not in the layer list of eslint/layers.mjs: give it a layer.",
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    const from = unitOf(file, root);
    if (from === undefined) return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = unitOf(path.resolve(path.dirname(file), source), root);
      if (to === undefined || to === from) return;
      for (const unit of [from, to])
        if (!RANK.has(unit)) return context.report({ node, messageId: 'unknown', data: { unit } });
      const fromRank = RANK.get(from);
      const toRank = RANK.get(to);
      if (toRank < fromRank) return;
      context.report({
        node,
        messageId: toRank === fromRank ? 'sideways' : 'upward',
        data: { from, to, fromRank, toRank },
      });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { layers: layersRule } };
