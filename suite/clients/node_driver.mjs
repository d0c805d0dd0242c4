// The client driver for the official Node SDK (`openai` from npm): one JSON request per line on stdin, one JSON
// answer per line on stdout (the protocol is documented in docs/clients.md). It runs each operation the way an
// application would and reports what the SDK handed back, or the error it threw.
import OpenAI from "openai";
import readline from "node:readline";

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);
const MAX_ITEMS = 1000;
const clients = new Map();

function client(request) {
  const options = request.options || {};
  const key = JSON.stringify([request.base_url, request.api_key, options.max_retries, options.timeout]);
  if (!clients.has(key)) {
    const settings = { baseURL: request.base_url, apiKey: request.api_key || "none" };
    if (options.max_retries != null) settings.maxRetries = options.max_retries;
    if (options.timeout != null) settings.timeout = Math.round(options.timeout * 1000);
    clients.set(key, new OpenAI(settings));
  }
  return clients.get(key);
}

async function streamResult(stream, textOf) {
  const chunks = [], choices = {};
  let usage = null;
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices || []) {
      const entry = (choices[String(choice.index)] ||= { text: "", finish_reason: null, tool_calls: [] });
      entry.text += textOf(choice) || "";
      if (choice.finish_reason != null) entry.finish_reason = choice.finish_reason;
      for (const delta of (choice.delta && choice.delta.tool_calls) || []) {  // joined by index, as documented
        while (entry.tool_calls.length <= delta.index) entry.tool_calls.push({ id: null, name: "", arguments: "" });
        const call = entry.tool_calls[delta.index];
        call.id = call.id || delta.id || null;
        call.name += (delta.function && delta.function.name) || "";
        call.arguments += (delta.function && delta.function.arguments) || "";
      }
    }
  }
  return { chunks, choices, usage };
}

async function walk(page) {
  const items = [];
  for await (const item of page) {  // the SDK fetches the following pages itself
    items.push(item);
    if (items.length >= MAX_ITEMS) return { items, truncated: true };
  }
  return { items };
}

const operations = {
  "chat.completions.create": async (c, p) => p.stream === true
    ? streamResult(await c.chat.completions.create(p), (choice) => choice.delta && choice.delta.content)
    : { response: await c.chat.completions.create(p) },
  "completions.create": async (c, p) => p.stream === true
    ? streamResult(await c.completions.create(p), (choice) => choice.text)
    : { response: await c.completions.create(p) },
  "embeddings.create": async (c, p) => ({ response: await c.embeddings.create(p) }),
  "responses.create": async (c, p) => {
    const result = await c.responses.create(p);
    if (p.stream !== true) return { response: result };
    const events = [];
    for await (const event of result) events.push(event);
    const last = [...events].reverse().find((e) => TERMINAL.has(e.type));
    return { events, final: last ? last.response : null };
  },
  "responses.retrieve": async (c, p) => ({ response: await c.responses.retrieve(p.id) }),
  "models.list": async (c) => walk(c.models.list()),
  "models.retrieve": async (c, p) => ({ response: await c.models.retrieve(p.id) }),
  "chat.completions.list": async (c, p) => walk(c.chat.completions.list(p.query || {})),
  "chat.completions.retrieve": async (c, p) => ({ response: await c.chat.completions.retrieve(p.id) }),
  "chat.completions.update": async (c, p) => ({ response: await c.chat.completions.update(p.id, p.body || {}) }),
  "chat.completions.delete": async (c, p) => {
    const completions = c.chat.completions;
    return { response: await (completions.delete || completions.del).call(completions, p.id) };
  },
};

function describe(error) {
  let kind = "other";
  if (error instanceof OpenAI.APIConnectionTimeoutError) kind = "timeout";
  else if (error instanceof OpenAI.APIConnectionError) kind = "connection";
  else if (error instanceof OpenAI.APIError) kind = error.status ? "status" : "api";
  else if (error && (error.name === "AbortError" || error.name === "TimeoutError")) kind = "timeout";
  const name = (error && error.constructor && error.constructor.name) || "Error";
  const out = { kind, class: error instanceof OpenAI.OpenAIError ? `openai.${name}` : name,
                message: String((error && error.message) || error).slice(0, 500) };
  if (error instanceof OpenAI.APIError) {
    if (error.status != null) out.status = error.status;
    for (const name of ["code", "param", "type"]) if (error[name] != null) out[name] = error[name];
    const id = error.requestID ?? error.request_id;
    if (id != null) out.request_id = id;
  }
  return out;
}

async function answer(request) {
  const operation = operations[request.op];
  if (!operation) return { error: { kind: "unsupported", class: "", message: `no operation ${request.op}` } };
  try {
    return { result: await operation(client(request), { ...(request.params || {}) }) };
  } catch (error) {
    return { error: describe(error) };
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  process.stdout.write(JSON.stringify({ id: request.id, ...(await answer(request)) }) + "\n");
}
