/**
 * Short, stable fingerprints of JSON-like values: the same value (whatever its keys' order) gives
 * the same 16 hex digits, a changed setting another. Checkpoints carry the fingerprint of the
 * spec that wrote them, so a resumed run can tell that a model's spec has changed.
 * @module
 */

/**
 * JSON with every object's keys sorted (undefined fields dropped, as `JSON.stringify` does).
 * @category Config
 */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

/**
 * The 64-bit FNV-1a hash of `value`'s canonical JSON, as 16 hex digits (not cryptographic: it
 * tells specs apart, it does not authenticate them).
 * @example
 * ```ts
 * fingerprint({ dim: 8, l2: 0.001 }) === fingerprint({ l2: 0.001, dim: 8 }); // true
 * ```
 * @category Config
 */
export const fingerprint = (value: unknown): string => {
  const text = canonicalJson(value);
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
};
