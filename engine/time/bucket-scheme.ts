// The calendar bucket of an `every` duration (retention/native.ts decides it), apart from the
// retention engine so that the zone clock can compute bucket keys without importing it.
export type BucketScheme =
  | { unit: 'minutes'; size: number }
  | { unit: 'days'; size: number }
  | { unit: 'weeks'; size: number }
  | { unit: 'months'; size: number }
  | { unit: 'years'; size: number };
