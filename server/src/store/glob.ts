import picomatch from "picomatch";

const cache = new Map<string, (p: string) => boolean>();

/** A cached path matcher for a glob (`**`, `*`, `?`, braces); a pattern without '/' matches the file name anywhere. */
export function globMatcher(pattern: string): (p: string) => boolean {
  let m = cache.get(pattern);
  if (!m) {
    m = picomatch(pattern, { dot: true, basename: !pattern.includes("/") });
    if (cache.size > 256) cache.clear();
    cache.set(pattern, m);
  }
  return m;
}
