/** Load data for a view: loading, error and reload, ignoring answers that arrive too late. */
import { useCallback, useEffect, useEffectEvent, useState } from "react";

export interface Resource<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

interface Settled<T> {
  key: string;
  data: T | null;
  error: unknown;
}

/** `load()` again whenever `deps` (strings, numbers, booleans) change or `reload()` is called. */
export function useResource<T>(load: () => Promise<T>, deps: readonly (string | number | boolean | null | undefined)[]): Resource<T> {
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify([...deps, generation]);
  const [settled, setSettled] = useState<Settled<T>>({ key: "", data: null, error: null });
  const run = useEffectEvent(() => load());

  useEffect(() => {
    let current = true;
    run().then(
      (data) => {
        if (current) setSettled({ key, data, error: null });
      },
      (error: unknown) => {
        if (current) setSettled((previous) => ({ key, data: previous.data, error }));
      },
    );
    return () => {
      current = false;
    };
  }, [key]);

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data: settled.data, error: settled.key === key ? settled.error : null, loading: settled.key !== key, reload };
}
