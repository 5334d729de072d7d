import { describe, expect, it } from "vitest";
import { formatKdrecError, kdrecError, toThrowable } from "./error.js";

describe("KdrecError", () => {
  it("renders location: message, or the message alone", () => {
    expect(formatKdrecError(kdrecError("INVALID_ARGUMENT", "expected 4 columns, found 2", "u.data:51"))).toBe(
      "u.data:51: expected 4 columns, found 2",
    );
    expect(formatKdrecError(kdrecError("INVALID_ARGUMENT", "no data"))).toBe("no data");
    expect(kdrecError("INVALID_ARGUMENT", "no data")).not.toHaveProperty("location");
  });

  it("becomes a throwable Error that keeps code and location", () => {
    const error = toThrowable(kdrecError("INVALID_CONFIG", "bad alpha", "students[0].alpha"));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("students[0].alpha: bad alpha");
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.location).toBe("students[0].alpha");
  });
});
