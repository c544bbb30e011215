#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping), so the bin is a thin loader.
await import("../src/cli/main.ts");
