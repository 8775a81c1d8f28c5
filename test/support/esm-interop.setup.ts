import * as common from '@nestjs/common';
import * as core from '@nestjs/core';

// See esm-interop.transformer.cjs.
(globalThis as { __esmForCjs?: Record<string, unknown> }).__esmForCjs = {
  '@nestjs/common': common,
  '@nestjs/core': core,
};
