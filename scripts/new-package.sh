#!/usr/bin/env bash
# Scaffolds packages/<name> in the house layout. Usage: scripts/new-package.sh <name> "<description>" [dep ...]
set -euo pipefail
name=$1; desc=$2; shift 2
dir=packages/$name
mkdir -p "$dir/src" "$dir/test"
refs=""
for d in "$@"; do refs="$refs{ \"path\": \"../$d/tsconfig.build.json\" },"; done
refs="[${refs%,}]"
cat > "$dir/package.json" <<JSON
{
  "name": "@uvmkit/$name",
  "version": "0.1.0",
  "description": "$desc",
  "license": "MIT",
  "type": "module",
  "sideEffects": false,
  "exports": {
    ".": { "types": "./dist/index.d.ts", "import": "./dist/index.js" },
    "./package.json": "./package.json"
  },
  "files": ["dist", "src", "!dist/.tsbuildinfo"],
  "engines": { "node": ">=20.19" },
  "scripts": {
    "build": "tsc -b tsconfig.build.json",
    "typecheck": "tsc -p tsconfig.test.json --noEmit",
    "test": "vitest run"
  },
  "publishConfig": { "access": "public", "provenance": true }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "files": [],
  "references": [{ "path": "./tsconfig.build.json" }, { "path": "./tsconfig.test.json" }]
}
JSON
cat > "$dir/tsconfig.build.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "tsBuildInfoFile": "dist/.tsbuildinfo" },
  "include": ["src"],
  "references": $refs
}
JSON
cat > "$dir/tsconfig.test.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "composite": false,
    "declaration": false,
    "declarationMap": false,
    "noEmit": true,
    "rootDir": "."
  },
  "include": ["src", "test"]
}
JSON
cat > "$dir/vitest.config.ts" <<TS
import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '$name', include: ['test/**/*.test.ts'] },
});
TS
cp LICENSE "$dir/LICENSE"
