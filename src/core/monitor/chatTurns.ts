// A rollout's prompt as the model saw it is the chat template's text, markers and all
// (`<|im_start|>system …<|im_end|>`). The dashboard shows it as the conversation it encodes:
// one turn per role, without the markers; a prompt with no known markers (a plain
// `prompt_template`) has no turns. Browser-safe: the webview imports it.

export interface ChatTurn {
  role: string;
  content: string;
}

// ChatML (Qwen and the built-in tiny model) and Llama 3's header format.
const CHATML = /<\|im_start\|>([a-z_]+)\n([\s\S]*?)(?:<\|im_end\|>|$)/g;
const LLAMA3 = /<\|start_header_id\|>([a-z_]+)<\|end_header_id\|>\n*([\s\S]*?)(?:<\|eot_id\|>|$)/g;

export function chatTurns(prompt: string): ChatTurn[] | undefined {
  for (const re of [CHATML, LLAMA3]) {
    const turns = [...prompt.matchAll(re)].map((m) => ({ role: m[1]!, content: m[2]!.trim() }));
    if (!turns.length) continue;
    // The template ends with the assistant's header and nothing after it: where generation starts.
    const last = turns.at(-1)!;
    if (last.role === "assistant" && !last.content) turns.pop();
    return turns.length ? turns : undefined;
  }
  return undefined;
}
