/** `record` without `key`; the same object when it had none, so a store update changes nothing. */
export const omit = <T>(record: Record<string, T>, key: string): Record<string, T> => {
  if (!(key in record)) return record;
  const { [key]: _gone, ...rest } = record;
  return rest;
};
