// A tiny test runner for the extension host (no mocha): named async tests, node:assert, one report.
// Results go to the console and, when CE_VSCODE_TEST_RESULTS is set, to that JSON file for the launcher.
import { writeFileSync } from "node:fs";

type TestFn = () => Promise<void> | void;
const tests: { name: string; fn: TestFn; timeoutMs: number }[] = [];

export function test(name: string, fn: TestFn, timeoutMs = 60_000): void {
  tests.push({ name, fn, timeoutMs });
}

export interface TestOutcome {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

function withDeadline(p: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`"${name}" did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Runs every registered test in order; throws when one failed (so VS Code exits non-zero). */
export async function runAll(): Promise<TestOutcome[]> {
  const outcomes: TestOutcome[] = [];
  for (const t of tests) {
    const start = Date.now();
    try {
      await withDeadline(Promise.resolve().then(t.fn), t.timeoutMs, t.name);
      outcomes.push({ name: t.name, ok: true, ms: Date.now() - start });
      console.log(`ok - ${t.name} (${Date.now() - start} ms)`);
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      outcomes.push({ name: t.name, ok: false, ms: Date.now() - start, error });
      console.error(`not ok - ${t.name}\n${error}`);
    }
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(`${outcomes.length - failed} passed, ${failed} failed`);
  const file = process.env.CE_VSCODE_TEST_RESULTS;
  if (file) writeFileSync(file, JSON.stringify(outcomes, null, 2));
  if (failed) throw new Error(`${failed} of ${outcomes.length} extension-host tests failed`);
  return outcomes;
}
