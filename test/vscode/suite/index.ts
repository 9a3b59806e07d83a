// Entry point VS Code loads through --extensionTestsPath: registers the tests, then runs them.
import "./extension.test.ts";
import { runAll } from "./runner.ts";

export async function run(): Promise<void> {
  await runAll();
}
