// Registers the Context Engine MCP servers (indexer, and memory in cluster mode) with VS Code's MCP support,
// refreshed whenever the connection's endpoints change (new forwarded ports, mode switch, token).
import * as vscode from "vscode";
import type { ConnectionState } from "./backend.ts";
import type { Connection } from "./connection.ts";
import type { McpEndpoint } from "./engine/indexer-client.ts";
import { markStep } from "./walkthrough.ts";

export const MCP_PROVIDER_ID = "contextEngine.mcpServers";
const MEMORY_LABEL = "Context Engine memory";

function key(s: ConnectionState): string {
  return JSON.stringify([s.mode, s.indexer?.url, s.indexer?.token ? 1 : 0, s.memory?.url]);
}

function definition(label: string, ep: McpEndpoint): vscode.McpHttpServerDefinition {
  const headers: Record<string, string> = ep.token ? { Authorization: `Bearer ${ep.token}` } : {};
  return new vscode.McpHttpServerDefinition(label, vscode.Uri.parse(ep.url), headers, "0.1.0");
}

export class McpRegistration implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  private lastKey = "";

  constructor(private readonly connection: Connection) {
    this.lastKey = key(connection.current);
    this.disposables.push(
      this.changed,
      connection.onDidChange((s) => {
        const k = key(s);
        if (k !== this.lastKey) {
          this.lastKey = k;
          this.changed.fire();
        }
      }),
    );
    // Older hosts without the MCP API still get the rest of the extension.
    if (typeof vscode.lm?.registerMcpServerDefinitionProvider === "function") {
      this.disposables.push(
        vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, {
          onDidChangeMcpServerDefinitions: this.changed.event,
          provideMcpServerDefinitions: () => this.definitions(),
          resolveMcpServerDefinition: async (server) => {
            // Starting a server before the engine is up: wait a little for the connection, then hand out its current URL.
            await this.connection.whenReady(60_000);
            // VS Code starts a server when an agent (or the user) asks for its tools: the walkthrough's last step.
            markStep("agentConnected");
            if (server.label === MEMORY_LABEL) await this.connection.ensureServer("memory");
            return this.definitions().find((d) => d.label === server.label) ?? server;
          },
        }),
      );
    }
  }

  definitions(): vscode.McpHttpServerDefinition[] {
    const s = this.connection.current;
    const out: vscode.McpHttpServerDefinition[] = [];
    if (s.indexer) out.push(definition(s.mode === "local" ? "Context Engine (local)" : "Context Engine indexer", s.indexer));
    if (s.memory) out.push(definition(MEMORY_LABEL, s.memory));
    return out;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
