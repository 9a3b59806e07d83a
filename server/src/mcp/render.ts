// Compact text renderings of tool results (what fits an agent's context), next to the structured output.
import type { CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { FoundMemory } from "../memory/index.ts";

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export function toolResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured };
}

export function renderMemories(memories: Pick<FoundMemory, "information" | "metadata" | "score">[]): string {
  if (!memories.length) return "No memories found.";
  return memories
    .map((m, i) => {
      const meta = [m.metadata.kind, m.metadata.topic, ...(m.metadata.tags ?? [])].filter(Boolean).join(", ");
      return `memory ${i + 1}${meta ? ` [${meta}]` : ""}: ${m.information}`;
    })
    .join("\n");
}

/** MCP progress notifications, when the client asked for them with a progress token. */
export function progressReporter(extra: ToolExtra): (message: string, progress?: number, total?: number) => void {
  const token = extra._meta?.progressToken;
  let step = 0;
  let last = 0;
  return (message, progress, total) => {
    if (token === undefined) return;
    const now = Date.now();
    if (progress !== undefined && total !== undefined && progress < total && now - last < 200) return;
    last = now;
    step++;
    void extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: progress ?? step, ...(total !== undefined ? { total } : {}), message },
      })
      .catch(() => undefined);
  };
}
