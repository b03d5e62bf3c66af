/**
 * The message a user sees: the error's own text, without the native stack traces that engines append to theirs
 * (XGBoost's "Stack trace:" and "[bt]" frames, C++ frames from libtorch).
 */
export function userMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const lines = []
  for (const line of text.split('\n')) {
    if (/^\s*Stack trace( \(most recent call first\))?:/i.test(line) || /^Exception raised from /.test(line)) break
    if (/^\s*\[bt\] \(\d+\)|^\s*frame #\d+:/.test(line)) continue
    lines.push(line)
  }
  return lines.join('\n').trimEnd()
}
