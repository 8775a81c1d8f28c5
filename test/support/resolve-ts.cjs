// Jest loads global setup and teardown through require(), without moduleNameMapper: map the
// ".js" specifiers of our ESM-style TypeScript imports to their ".ts" sources.
const Module = require('node:module');
const original = Module._resolveFilename;
Module._resolveFilename = function resolveTs(request, ...rest) {
  try {
    return original.call(this, request, ...rest);
  } catch (error) {
    if (request.startsWith('.') && request.endsWith('.js')) {
      return original.call(this, `${request.slice(0, -3)}.ts`, ...rest);
    }
    throw error;
  }
};
