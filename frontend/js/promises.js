// Small helpers for promises. Pure: `node --test` imports it.

// Resolves to the first to settle: the work, or `fallback` after `ms`.
export function within(ms, work, fallback) {
  return Promise.race([work, new Promise((resolve) => setTimeout(() => resolve(fallback), ms))]);
}
