// Per-language symbol rules, by our language id.
import { bash } from "./bash.ts";
import { cpp } from "./cpp.ts";
import { csharp } from "./csharp.ts";
import { ecmascript } from "./ecmascript.ts";
import { go } from "./go.ts";
import { java } from "./java.ts";
import { php } from "./php.ts";
import { python } from "./python.ts";
import { ruby } from "./ruby.ts";
import { rust } from "./rust.ts";
import type { LanguageRules } from "./types.ts";

const RULES: Readonly<Record<string, LanguageRules>> = {
  typescript: ecmascript,
  tsx: ecmascript,
  javascript: ecmascript,
  python,
  go,
  rust,
  java,
  csharp,
  cpp,
  c: cpp,
  ruby,
  php,
  bash,
};

export function rulesFor(language: string): LanguageRules | undefined {
  return RULES[language];
}

export type { LanguageRules, SymbolMatch } from "./types.ts";
