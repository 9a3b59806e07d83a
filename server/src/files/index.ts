export { discoverFiles, type DiscoveredFile, type Discovery, type Skipped, type SkipReason } from "./discover.ts";
export { IgnoreRules, EXCLUDED_DIRS, IGNORE_FILES, isExcludedFile } from "./ignore-rules.ts";
export { languageOf, extOf, kindOf } from "./language.ts";
export { readSource, hashContent, type SourceRead } from "./read-source.ts";
export { folderInside, repoFolder, repoNameProblem, PathRefusedError } from "./inside-root.ts";
export { parseFolders, type ServedFolder } from "./served-folders.ts";
