// jest on Node 20 cannot require() an ES module. @nestjs/throttler 6 is CommonJS and
// requires @nestjs/common and @nestjs/core 12, which are ESM-only: its requires of them are
// pointed at the ESM instances that test/support/esm-interop.setup.ts loaded, so the test
// run shares one copy of each (Node itself, at run time, needs none of this).
const SHARED = ['@nestjs/common', '@nestjs/core'];

module.exports = {
  process(source) {
    let code = source;
    for (const name of SHARED) {
      code = code
        .split(`require("${name}")`)
        .join(`globalThis.__esmForCjs[${JSON.stringify(name)}]`);
    }
    return { code };
  },
};
