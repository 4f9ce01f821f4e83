/** setTimeout's longest delay (about 24.8 days); tokens may live longer. */
const MAX_DELAY = 2 ** 31 - 1;

export interface Later {
  cancel(): void;
}

/** Runs `fn` at the epoch time `atMs` (at once when it is past), however far away that is. */
export function at(atMs: number, fn: () => void): Later {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const delay = atMs - Date.now();
    timer = setTimeout(delay > MAX_DELAY ? arm : fn, Math.max(0, Math.min(delay, MAX_DELAY)));
    timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
