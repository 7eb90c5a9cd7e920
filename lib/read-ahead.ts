/** A read's outcome, held as a value so that waiting on it never leaves a rejection unhandled. */
export type Settled<R> = { value: R } | { error: Error };

/**
 * Each chunk with the answer of `read(chunk)`, the next chunk's read sent as soon as this chunk's
 * answer is in: the reader (InfluxDB) answers it while the caller works on this one. Reads are
 * sent in order, one at a time ahead. Answers are settled, so a read sent ahead and then given up
 * on (the caller stopped at an error) is never an unhandled rejection.
 */
export async function* readAhead<C, R>(chunks: readonly C[], read: (chunk: C) => Promise<R>): AsyncGenerator<{ chunk: C; answer: Settled<R> }> {
  const send = (chunk: C): Promise<Settled<R>> => {
    try {
      return read(chunk).then(
        (value) => ({ value }),
        (err: unknown) => ({ error: asError(err) }),
      );
    } catch (err) {
      return Promise.resolve({ error: asError(err) });
    }
  };
  let next = chunks.length > 0 ? send(chunks[0]!) : undefined;
  for (let i = 0; i < chunks.length; i++) {
    const answer = await next!;
    next = i + 1 < chunks.length ? send(chunks[i + 1]!) : undefined;
    yield { chunk: chunks[i]!, answer };
  }
}

/** The answer's value, or its error thrown. */
export function valueOf<R>(answer: Settled<R>): R {
  if ('error' in answer) throw answer.error;
  return answer.value;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
