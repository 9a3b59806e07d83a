// The memory server's tools: memory_store and memory_find, with `store` and `find` as aliases.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpContext } from "./context.ts";
import { renderMemories, toolResult } from "./render.ts";
import { memoryItemSchema, memoryMetadataSchema, queryArg } from "./schemas.ts";

export function registerMemoryTools(server: McpServer, ctx: McpContext): void {
  const storeConfig = {
    title: "Remember",
    description:
      "Stores a memory: a decision, convention, gotcha or fact about this codebase that future sessions should know. " +
      "Memories are searchable with memory_find and blended into context_search.",
    inputSchema: {
      information: z.string().min(1).max(20_000).describe("The text to remember, self-contained"),
      metadata: memoryMetadataSchema.optional().describe("Optional: kind, language, path, tags, topic, priority (0-10), author"),
    },
    outputSchema: { id: z.string(), created_at: z.string(), repo: z.string() },
  };
  const storeHandler = async (args: { information: string; metadata?: Record<string, unknown> }) => {
    const m = await ctx.memory.remember(args.information, args.metadata ?? {});
    return toolResult(`Stored memory ${m.id}`, { id: m.id, created_at: m.created_at, repo: m.repo });
  };
  server.registerTool("memory_store", storeConfig, storeHandler);
  server.registerTool("store", { ...storeConfig, title: "Remember (alias of memory_store)" }, storeHandler);

  const findConfig = {
    title: "Recall",
    description: "Finds stored memories relevant to a query (hybrid lexical + semantic), optionally filtered by metadata.",
    inputSchema: {
      query: queryArg("What to recall"),
      limit: z.number().int().min(1).max(100).optional().describe("How many (default 5)"),
      kind: z.string().optional().describe("Only memories of this kind (decision, convention, ...)"),
      language: z.string().optional().describe("Only memories about this language"),
      tags: z.array(z.string()).optional().describe("Only memories carrying all these tags"),
      topic: z.string().optional().describe("Only memories of this topic"),
      priority_min: z.number().optional().describe("Only memories with at least this priority"),
    },
    outputSchema: { memories: z.array(memoryItemSchema) },
    annotations: { readOnlyHint: true },
  };
  const findHandler = async (args: { query: string; limit?: number; kind?: string; language?: string; tags?: string[]; topic?: string; priority_min?: number }) => {
    const { query, ...q } = args;
    const memories = await ctx.memory.find(query, q);
    return toolResult(renderMemories(memories), { memories });
  };
  server.registerTool("memory_find", findConfig, findHandler);
  server.registerTool("find", { ...findConfig, title: "Recall (alias of memory_find)" }, findHandler);
}
