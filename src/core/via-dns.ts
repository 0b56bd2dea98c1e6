/** How the commands call the name service: one mapping of its failures for flows and namespaces. */
import { EsonError, isEsonError, unavailable } from './errors.ts';

/**
 * Maps a name-service failure for the client: a name another agent holds is 550; anything else
 * (timeouts, SERVFAIL, a refused key) is a dependency failure, 451, with nothing changed.
 */
export async function viaDns<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (isEsonError(error) && error.kind === 'exists') {
      throw new EsonError('exists', `${what} refused: the name is already registered in DNS (${message})`, {
        cause: error,
      });
    }
    throw unavailable(`DNS ${what} failed: ${message}; nothing was changed`, error);
  }
}
