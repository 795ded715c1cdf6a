// Imported first by main.ts: marks when the bundle starts running (the benchmark reads it).
performance.mark("oneshot:script");
