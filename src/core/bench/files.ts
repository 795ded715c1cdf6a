// Reading a dataset file into plain rows: JSONL, JSON (an array, or an object holding one under
// a split-like key) and parquet (through hyparquet, which decodes snappy itself).
import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { parquetReadObjects } from "hyparquet";
import { DatasetFormatError } from "./fields";

export type Row = Record<string, unknown>;

export const DATASET_EXTENSIONS = [".jsonl", ".ndjson", ".json", ".parquet"];

export function isDatasetFile(file: string): boolean {
  return DATASET_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

export async function readRows(file: string): Promise<Row[]> {
  const ext = path.extname(file).toLowerCase();
  const name = path.basename(file);
  if (ext === ".parquet") return readParquet(file, name);
  const text = await readFile(file, "utf8");
  if (ext === ".jsonl" || ext === ".ndjson") return parseJsonl(text, name);
  if (ext === ".json") return parseJson(text, name);
  throw new DatasetFormatError(`${name} is not a dataset file: use .jsonl, .json or .parquet`);
}

export function parseJsonl(text: string, name: string): Row[] {
  const rows: Row[] = [];
  text.split("\n").forEach((line, i) => {
    const t = line.trim();
    if (!t) return;
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch {
      throw new DatasetFormatError(`${name} line ${i + 1} is not valid JSON`);
    }
    if (!isRow(value)) throw new DatasetFormatError(`${name} line ${i + 1} is not a JSON object`);
    rows.push(value);
  });
  return rows;
}

export function parseJson(text: string, name: string): Row[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DatasetFormatError(`${name} is not valid JSON (${(e as Error).message})`);
  }
  // Common shapes: [rows], {"test": [rows]}, {"data": [rows]}, {"rows": [{"row": {...}}]} (datasets server).
  let list: unknown = value;
  if (isRow(value)) {
    const key = ["test", "data", "rows", "train", "examples", "problems"].find((k) => Array.isArray(value[k]));
    list = key ? value[key] : undefined;
  }
  if (!Array.isArray(list)) throw new DatasetFormatError(`${name} holds no list of problems (expected a JSON array of objects)`);
  return list.map((item, i) => {
    const row = isRow(item) && isRow(item.row) ? item.row : item;
    if (!isRow(row)) throw new DatasetFormatError(`${name} item ${i} is not a JSON object`);
    return row;
  });
}

async function readParquet(file: string, name: string): Promise<Row[]> {
  const buf = await readFile(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  try {
    return (await parquetReadObjects({ file: ab })) as Row[];
  } catch (e) {
    throw new DatasetFormatError(`${name} could not be read as parquet (${(e as Error).message})`);
  }
}

export function isRow(v: unknown): v is Row {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
