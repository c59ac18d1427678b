import type { Rule } from 'eslint';

export const LAYERS: string[][];
export function unitOf(file: string, root: string): string | undefined;
export const layersRule: Rule.RuleModule;
declare const plugin: { rules: { layers: Rule.RuleModule } };
export default plugin;
