// Preloaded into the benchmarked server (node --import): SIGUSR2 writes the event loop's
// delay percentiles since the previous signal to $LOOP_REPORT, then resets them.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
process.on('SIGUSR2', () => {
  const ms = (ns) => Math.round((ns / 1e6) * 10) / 10;
  writeFileSync(
    process.env.LOOP_REPORT,
    JSON.stringify({
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
    }),
  );
  histogram.reset();
});
