/**
 * JSON Schemas (draft 2020-12) generated from kdrec's io-ts codecs, so that editors can validate
 * and complete config files. io-ts's own codecs (objects, unions, arrays, literals, keyof,
 * tuples, primitives) are read from their structure; kdrec's own (ranges, strict objects, tagged
 * unions) carry their schema, attached where they are made with {@link withJsonSchema}.
 * @module
 */
import type * as t from "io-ts";

/**
 * A JSON Schema object.
 * @category Config
 */
export type JsonSchema = { readonly [key: string]: unknown };

const attached = new WeakMap<t.Mixed, () => JsonSchema>();

/**
 * Attaches the schema of values `codec` accepts (a function, so that a table that grows — a
 * registry — is read when the schema is made).
 * @category Config
 */
export const withJsonSchema = <C extends t.Mixed>(codec: C, schema: () => JsonSchema): C => {
  attached.set(codec, schema);
  return codec;
};

/**
 * The JSON Schema of the values `codec` accepts. A codec it cannot read gives `{}` (anything),
 * with the codec's name as its description.
 * @example
 * ```ts
 * jsonSchemaOf(strictType({ alpha: unitInterval }, {}, "Options"));
 * // { type: "object", properties: { alpha: { type: "number", minimum: 0, maximum: 1 } }, required: ["alpha"], additionalProperties: false }
 * ```
 * @category Config
 */
export const jsonSchemaOf = (codec: t.Mixed): JsonSchema => {
  const own = attached.get(codec);
  if (own !== undefined) return own();
  const c = codec as t.Mixed & { _tag?: string; types?: t.Mixed[]; type?: t.Mixed; props?: t.Props; keys?: object };
  const value = (codec as { value?: unknown }).value;
  switch (c._tag) {
    case "StringType":
      return { type: "string" };
    case "NumberType":
      return { type: "number" };
    case "BooleanType":
      return { type: "boolean" };
    case "UnknownRecordType":
      return { type: "object" };
    case "LiteralType":
      return { const: value };
    case "KeyofType":
      return { enum: Object.keys(c.keys ?? {}) };
    case "ArrayType":
    case "ReadonlyArrayType":
      return { type: "array", items: jsonSchemaOf(c.type!) };
    case "TupleType":
      return {
        type: "array",
        prefixItems: c.types!.map(jsonSchemaOf),
        minItems: c.types!.length,
        maxItems: c.types!.length,
      };
    case "UnionType":
      return { anyOf: c.types!.map(jsonSchemaOf), description: codec.name };
    case "IntersectionType":
      return { allOf: c.types!.map(jsonSchemaOf) };
    case "InterfaceType":
    case "PartialType":
      return objectSchema(c._tag === "InterfaceType" ? c.props! : {}, c._tag === "PartialType" ? c.props! : {}, true);
    default:
      return { description: codec.name };
  }
};

/**
 * The schema of an object with `required` and `optional` keys; `open` allows other keys.
 * @category Config
 */
export const objectSchema = (required: t.Props, optional: t.Props, open = false): JsonSchema => {
  const properties = Object.fromEntries(
    Object.entries({ ...required, ...optional }).map(([key, codec]) => [key, jsonSchemaOf(codec)]),
  );
  const names = Object.keys(required);
  return {
    type: "object",
    properties,
    ...(names.length === 0 ? {} : { required: names }),
    ...(open ? {} : { additionalProperties: false }),
  };
};
