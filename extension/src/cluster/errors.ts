// Turns what the Kubernetes API (or the network) says into a sentence a developer can act on.
import { ApiException } from "@kubernetes/client-node";

export interface ApiAction {
  /** apply, read, delete, list, watch... (the RBAC verb we needed: patch for apply). */
  verb: string;
  kind: string;
  name?: string;
  namespace?: string;
  apiVersion?: string;
}

export class ClusterError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ClusterError";
  }
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string };
}

function statusOf(body: unknown): StatusBody {
  if (typeof body === "string") {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body };
    }
  }
  return (body ?? {}) as StatusBody;
}

function groupOf(apiVersion: string | undefined): string {
  if (!apiVersion || !apiVersion.includes("/")) return "core";
  return apiVersion.split("/")[0];
}

function target(a: ApiAction): string {
  return `${a.kind}${a.name ? ` "${a.name}"` : ""}${a.namespace ? ` in namespace ${a.namespace}` : ""}`;
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "ECONNRESET", "EAI_AGAIN", "CERT_HAS_EXPIRED", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"]);

function networkCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === "object"; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    const type = (cur as { type?: unknown }).type;
    if (type === "system" && typeof (cur as { errno?: unknown }).errno === "string") return String((cur as { errno: string }).errno);
    cur = (cur as { cause?: unknown }).cause;
  }
  const msg = e instanceof Error ? e.message : String(e);
  const m = /\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|EAI_AGAIN)\b/.exec(msg);
  return m?.[1];
}

/** Readable error for a failed API call; `cluster` names the context and server for network failures. */
export function explainApiError(e: unknown, action: ApiAction, cluster: string): ClusterError {
  if (e instanceof ClusterError) return e;
  if (e instanceof ApiException) {
    const st = statusOf(e.body);
    const said = st.message ? ` The API server said: ${st.message}` : "";
    const resource = `${(st.details?.kind ?? action.kind).toLowerCase()}`;
    switch (e.code) {
      case 401:
        return new ClusterError(`Not authenticated to ${cluster}: the credentials in your kubeconfig were refused. Log in again (refresh the token or run your provider's login) and retry.${said}`, 401);
      case 403:
        return new ClusterError(
          `Forbidden: you may not ${action.verb} ${target(action)} (API group "${groupOf(action.apiVersion)}"). ` +
            `Missing permission: verb "${action.verb}" on resource "${resource}"${action.namespace ? ` in namespace ${action.namespace}` : ""}. ` +
            `Ask a cluster admin for a Role granting it, or switch "contextEngine.context" to a context with more rights.${said}`,
          403,
        );
      case 404:
        return new ClusterError(
          action.verb === "discover"
            ? `The cluster ${cluster} does not serve ${action.apiVersion} (needed for ${action.kind}). Upgrade the cluster or enable that API.${said}`
            : `Not found: ${target(action)} does not exist on ${cluster}. Has Context Engine been deployed there? Run "Context Engine: Deploy Context Engine".${said}`,
          404,
        );
      case 409:
        return new ClusterError(`Conflict while trying to ${action.verb} ${target(action)}: another field manager owns a field we set.${said}`, 409);
      case 422:
        return new ClusterError(`The API server rejected ${target(action)} as invalid.${said}`, 422);
      default:
        return new ClusterError(`Could not ${action.verb} ${target(action)} on ${cluster}: HTTP ${e.code}.${said}`, e.code);
    }
  }
  const code = networkCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  if (code) {
    return new ClusterError(
      `Cannot reach the Kubernetes API server of ${cluster} (${code}). Is the cluster running and is your VPN/network up? Check with "kubectl cluster-info", or pick another context in "contextEngine.context".`,
    );
  }
  return new ClusterError(`Could not ${action.verb} ${target(action)} on ${cluster}: ${msg}`);
}
