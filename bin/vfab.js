#!/usr/bin/env node
'use strict';
// The CLI is TypeScript built by electron-vite into out/main/cli.js (npm install runs the build).
const path = require('node:path');
const fs = require('node:fs');

const built = path.join(__dirname, '..', 'out', 'main', 'cli.js');
if (!fs.existsSync(built)) {
  process.stderr.write(`vfab: ${built} is missing. Build it first: npm run build\n`);
  process.exit(1);
}
require(built);
