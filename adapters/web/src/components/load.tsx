// Loading a page's data: a forbidden or unknown resource becomes the forbidden
// state (and stays so: its data is dropped), an expired token signs out.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { Forbidden, LoadError, Loading } from './ui';

export type Load<T> =
  | { state: 'loading'; data?: undefined }
  | { state: 'ok'; data: T }
  | { state: 'error'; error: unknown; data?: undefined }
  | { state: 'forbidden'; data?: undefined };

let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export function handleUnauthorized(e: unknown): boolean {
  if (e instanceof ApiError && e.status === 401) {
    onUnauthorized();
    return true;
  }
  return false;
}

// `deps` decide when `load` runs again, as with useEffect. With `keep`, a
// reload for new deps leaves the old data on screen until the
// new arrives (a date picked on the timeline), instead of "loading".
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
  options: { keep?: boolean } = {},
): [Load<T>, () => Promise<void>, (d: T) => void] {
  const [s, setS] = useState<Load<T>>({ state: 'loading' });
  const generation = useRef(0);
  const run = useCallback(async () => {
    const g = ++generation.current;
    try {
      const data = await load();
      if (g === generation.current) setS({ state: 'ok', data });
    } catch (e) {
      if (g !== generation.current) return;
      if (handleUnauthorized(e)) return;
      if (e instanceof ApiError && e.forbidden) setS({ state: 'forbidden' });
      else setS({ state: 'error', error: e });
    }
  }, deps);
  useEffect(() => {
    if (!options.keep) setS({ state: 'loading' });
    void run();
  }, [run]);
  const set = useCallback((data: T) => setS({ state: 'ok', data }), []);
  return [s, run, set];
}

export function Loaded<T>({ load, retry, children }: { load: Load<T>; retry: () => void; children: (d: T) => ComponentChildren }) {
  switch (load.state) {
    case 'loading':
      return <Loading />;
    case 'forbidden':
      return <Forbidden />;
    case 'error':
      return <LoadError error={load.error} retry={retry} />;
    case 'ok':
      return <>{children(load.data)}</>;
  }
}
