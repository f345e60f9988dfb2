/** fast-check arbitraries shared by this package's tests: JSON documents with full-Unicode keys and patches that fit them. */
import fc from "fast-check";
import { applyPatch, type Patch } from "./json-patch";
import { formatPointer, isPointerPrefix } from "./json-pointer";
import { isContainer } from "./json-value";

const text = fc.string({ unit: "binary", maxLength: 6 });
const leaf = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));

/** A JSON value: objects with arbitrary (binary) keys, arrays, primitives. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(text, tie("value"), { maxKeys: 4 })),
})).value;

/** A JSON object document. */
export const jsonObject = fc.dictionary(text, jsonValue, { maxKeys: 5 });

/** What a random operation will do; turned into a concrete operation against the current document by `realizePatch`. */
export interface OpIntent {
  readonly kind: number;
  readonly a: number;
  readonly b: number;
  readonly key: string;
  readonly value: unknown;
}

export const opIntent: fc.Arbitrary<OpIntent> = fc.record({
  kind: fc.nat(5),
  a: fc.nat(),
  b: fc.nat(),
  key: text,
  value: jsonValue,
});

function allPaths(document: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    out.push(path);
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (isContainer(value)) for (const k of Object.keys(value)) walk((value as Record<string, unknown>)[k], [...path, k]);
  };
  walk(document, []);
  return out;
}

function valueAt(document: unknown, path: (string | number)[]): unknown {
  let v = document;
  for (const t of path) v = (v as Record<string | number, unknown>)[t];
  return v;
}

/** A location an `add` may target: an existing container plus a new/existing key, an index or `-`. */
function addTarget(document: unknown, intent: OpIntent, exclude?: string): string | undefined {
  const containers = allPaths(document).filter((p) => isContainer(valueAt(document, p)) && (exclude === undefined || !isPointerPrefix(exclude, formatPointer(p))));
  if (containers.length === 0) return undefined;
  const parent = containers[intent.b % containers.length]!;
  const container = valueAt(document, parent);
  if (Array.isArray(container)) {
    const slot = intent.a % (container.length + 2);
    return formatPointer([...parent, slot > container.length ? "-" : slot]);
  }
  const keys = Object.keys(container as object);
  const key = intent.a % 3 === 0 && keys.length > 0 ? keys[intent.a % keys.length]! : intent.key;
  return formatPointer([...parent, key]);
}

/** One operation that applies to `document`, chosen by `intent` (undefined when none fits). */
export function realizeOp(document: unknown, intent: OpIntent): Patch | undefined {
  const paths = allPaths(document);
  const nonRoot = paths.filter((p) => p.length > 0);
  const pick = (list: (string | number)[][], n: number) => (list.length ? list[n % list.length] : undefined);
  switch (intent.kind) {
    case 0: {
      const path = addTarget(document, intent);
      return path === undefined ? undefined : { op: "add", path, value: intent.value };
    }
    case 1: {
      const p = pick(nonRoot, intent.a);
      return p && { op: "remove", path: formatPointer(p) };
    }
    case 2: {
      const p = pick(intent.b % 7 === 0 ? paths : nonRoot, intent.a);
      return p && { op: "replace", path: formatPointer(p), value: intent.value };
    }
    case 3: {
      const p = pick(nonRoot, intent.a);
      if (!p) return undefined;
      const from = formatPointer(p);
      const after = applyPatch(document, [{ op: "remove", path: from }]);
      const path = addTarget(after, intent);
      if (path === undefined || isPointerPrefix(from, path)) return undefined;
      return { op: "move", from, path };
    }
    case 4: {
      const p = pick(paths, intent.a);
      const path = addTarget(document, intent);
      return p && path !== undefined ? { op: "copy", from: formatPointer(p), path } : undefined;
    }
    default: {
      const p = pick(paths, intent.a)!;
      return { op: "test", path: formatPointer(p), value: valueAt(document, p) };
    }
  }
}

/** A patch that applies to `document`, built operation by operation from `intents`. */
export function realizePatch(document: unknown, intents: readonly OpIntent[]): Patch[] {
  const patch: Patch[] = [];
  let current = document;
  for (const intent of intents) {
    const op = realizeOp(current, intent);
    if (!op) continue;
    current = applyPatch(current, [op]);
    patch.push(op);
  }
  return patch;
}
