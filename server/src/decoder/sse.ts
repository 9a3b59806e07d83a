// Server-sent events as llama.cpp streams them: `data: {json}` lines, `data: [DONE]` at the end of a chat stream.

/** Yields the payload of each `data:` line (and `error:` lines, tagged), as the bytes arrive. */
export async function* readSseData(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: "data" | "error"; payload: string }> {
  const decoder = new TextDecoder();
  let buffered = "";
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, "");
        buffered = buffered.slice(nl + 1);
        const parsed = parseLine(line);
        if (parsed) yield parsed;
      }
    }
    const last = parseLine(buffered + decoder.decode());
    if (last) yield last;
  } finally {
    reader.releaseLock();
  }
}

function parseLine(line: string): { event: "data" | "error"; payload: string } | undefined {
  if (line.startsWith("data:")) return { event: "data", payload: line.slice(5).trim() };
  // llama.cpp reports a failure mid-stream as an `error:` line instead of a status code.
  if (line.startsWith("error:")) return { event: "error", payload: line.slice(6).trim() };
  return undefined;
}
