// The answer folder's public face: answerQuestion and the shapes the MCP tool exposes.
export { answerQuestion, ANSWER_DEFAULTS } from "./answer.ts";
export { checkCitations, citedNumbers, type CitationCheck } from "./citations.ts";
export { AnswerError } from "./types.ts";
export type { AnswerDeps, AnswerProgress, AnswerRequest, AnswerResult, AnswerStage, AnswerUsage, Citation, SearchFn } from "./types.ts";
