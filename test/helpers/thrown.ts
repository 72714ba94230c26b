// What `f` throws (undefined when it returns): for tests that assert on an error's fields.
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
