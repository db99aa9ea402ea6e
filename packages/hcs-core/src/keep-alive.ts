/**
 * What keeps the Node process alive while uvmkit waits on HCS. Completions and events arrive
 * through koffi callbacks from a native thread, and a pending callback does not keep the event
 * loop alive, so a program whose only work is `await op` or `await vm.waitForExit()` would end
 * with exit code 13 (an unsettled top-level await). Each wait holds the process while it is
 * pending: one shared ref'd timer, counted.
 */
let holds = 0;
let timer: NodeJS.Timeout | undefined;

/** Keep the process alive until the returned release is called (once; later calls do nothing). */
export function holdProcess(): () => void {
  if (holds++ === 0) {
    timer ??= setInterval(() => {}, 2 ** 30);
    timer.ref();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holds === 0) timer?.unref();
  };
}
