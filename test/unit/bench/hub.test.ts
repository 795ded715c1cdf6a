import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { fetchHubDataset, hubOptionsFromEnv } from "../../../src/core/bench/hub";
import { loadBenchmark } from "../../../src/core/bench/load";
import { sampleRows, startFakeHub, tmp, writeParquet } from "./fixtures";

function options(dir: string, url: string) {
  return hubOptionsFromEnv({ HF_ENDPOINT: url, ONESHOT_DATASETS_SERVER: url }, { cacheDir: path.join(dir, "cache"), timeoutMs: 5000 });
}

test("a preset downloads its split from the datasets server into the cache, then loads offline from it", async () => {
  const dir = tmp();
  const f = writeParquet(path.join(dir, "0000.parquet"), sampleRows);
  const hub = await startFakeHub({
    "HuggingFaceH4/MATH-500/default/test/0000.parquet": f,
    "HuggingFaceH4/MATH-500/default/train/0000.parquet": f,
  });
  const load = (o: ReturnType<typeof options>) => loadBenchmark("MATH500", { root: dir, cwd: dir, hub: o });
  try {
    const b = await load(options(dir, hub.url));
    assert.equal(b.name, "math500");
    assert.equal(b.origin, "HuggingFaceH4/MATH-500 (default/test)");
    assert.deepEqual(b.problems.map((p) => p.id), ["test/algebra/1.json", "test/geometry/2.json", "test/algebra/3.json"]);
    assert.equal(b.settings.samples, 1);
    assert.deepEqual(hub.requests, [
      "/parquet?dataset=HuggingFaceH4%2FMATH-500",
      "/datasets/HuggingFaceH4/MATH-500/resolve/refs%2Fconvert%2Fparquet/default/test/0000.parquet",
    ]);
  } finally {
    await hub.close();
  }
  // The server is gone: the cached copy is used without a request.
  const again = await load(options(dir, hub.url));
  assert.equal(again.problems.length, 3);
});

test("offline and not cached is one sentence naming the dataset and the cache", async () => {
  const dir = tmp();
  const hub = await startFakeHub({});
  await hub.close(); // nothing listens on this port any more
  const o = options(dir, hub.url);
  await assert.rejects(
    fetchHubDataset({ id: "math-ai/aime25" }, o),
    (e: Error) =>
      e.name === "DatasetUnavailableError" &&
      e.message.startsWith("cannot download math-ai/aime25 (ECONNREFUSED reaching 127.0.0.1:") &&
      e.message.includes(`not in the dataset cache ${o.cacheDir}`) &&
      !e.message.includes("\n"),
  );
});

test("a refresh that cannot reach the hub falls back to the cached copy", async () => {
  const dir = tmp();
  const f = writeParquet(path.join(dir, "x.parquet"), sampleRows);
  const hub = await startFakeHub({ "o/d/default/test/0000.parquet": f });
  await fetchHubDataset({ id: "o/d" }, options(dir, hub.url));
  await hub.close();
  const got = await fetchHubDataset({ id: "o/d" }, { ...options(dir, hub.url), refresh: true });
  assert.equal(got.fromCache, true);
  assert.equal(got.split, "test");
});

test("split choice: test by default, the only split otherwise, else ask; unknown splits list what exists", async () => {
  const dir = tmp();
  const f = writeParquet(path.join(dir, "x.parquet"), sampleRows);
  const hub = await startFakeHub({
    "o/only-train/default/train/0000.parquet": f,
    "o/two/default/train/0000.parquet": f,
    "o/two/default/validation/0000.parquet": f,
  });
  try {
    const o = options(dir, hub.url);
    assert.equal((await fetchHubDataset({ id: "o/only-train" }, o)).split, "train");
    await assert.rejects(fetchHubDataset({ id: "o/two" }, o), /o\/two \(default\) has several splits \(train, validation\): name one as o\/two@SPLIT/);
    await assert.rejects(fetchHubDataset({ id: "o/two", split: "test" }, o), /has no test split on the hub \(available: default\/train, default\/validation\)/);
    const two = await loadBenchmark("o/two@validation", { root: dir, cwd: dir, hub: o });
    assert.equal(two.name, "two");
    assert.equal(two.origin, "o/two (default/validation)");
  } finally {
    await hub.close();
  }
});

test("gated and missing datasets say what to do", async () => {
  const dir = tmp();
  const gated = await startFakeHub({}, { status: 401 });
  try {
    await assert.rejects(fetchHubDataset({ id: "o/gated" }, options(dir, gated.url)), /o\/gated needs authorisation on the hub \(HTTP 401\): accept its terms on the hub and set HF_TOKEN/);
  } finally {
    await gated.close();
  }
  const empty = await startFakeHub({});
  try {
    await assert.rejects(fetchHubDataset({ id: "o/missing" }, options(dir, empty.url)), /o\/missing was not found on the hub \(HTTP 404/);
  } finally {
    await empty.close();
  }
});
